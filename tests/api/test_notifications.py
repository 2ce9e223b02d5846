"""Customer notifications through the API: the NF-e and each charge by email, as raw MIME through SES
(moto), recorded as `ntf_…` items listed with the contract's filters, switchable in settings."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage
from typing import Any

import pytest

from tests.api.test_catalog import call, customer_body
from tests.api.test_orders import deliver_event, order_body, shop  # noqa: F401 - fixtures
from tests.clock import days_ahead


def sent_mail() -> list[EmailMessage]:
    """Every raw message moto's SES accepted, parsed back."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.ses.models import ses_backends

    backend = ses_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    return [email.message_from_bytes(m.raw_data.encode() if isinstance(m.raw_data, str) else m.raw_data,
                                     policy=policy.default)  # type: ignore[misc]
            for m in backend.sent_messages if hasattr(m, "raw_data")]


def deliver_all(http, tenant, event_type: str) -> None:
    for event in call(http, tenant, "GET", f"/v1/events?type={event_type}")[1]["data"]:
        assert deliver_event("notifications_consumer", event_type, tenant, event["data"], event["id"]) == {
            "batchItemFailures": []}


def attachments(message: EmailMessage) -> dict[str, tuple[str, bytes]]:
    return {part.get_filename(): (part.get_content_type(), part.get_payload(decode=True))
            for part in message.walk() if part.get_filename()}


def notifications(http, tenant, query: str = "") -> list[dict[str, Any]]:
    status, body = call(http, tenant, "GET", f"/v1/notifications{query}")
    assert status == 200, body
    return body["data"]


def test_an_authorized_nfe_is_emailed_to_the_customer_with_the_danfe_and_the_xml(http, tenant, shop):  # noqa: F811
    order = call(http, tenant, "POST", "/v1/orders", order_body(shop))[1]
    invoice = call(http, tenant, "POST", "/v1/invoices", {"order_id": order["id"]})[1]
    assert invoice["status"] == "authorized"
    deliver_all(http, tenant, "invoice.authorized")

    [record] = notifications(http, tenant, f"?invoice_id={invoice['id']}")
    assert (record["channel"], record["template"], record["status"], record["to"]) == (
        "email", "invoice_authorized", "sent", "maria@example.com")
    assert record["customer_id"] == shop["customer_id"] and record["sent_at"]
    assert {a["content_type"] for a in record["attachments"]} == {"application/pdf", "application/xml"}

    [mail] = [m for m in sent_mail() if m["To"] == "maria@example.com"]
    assert f"Nota fiscal {invoice['number']}" in mail["Subject"] and "Loja Exemplo" in mail["From"]
    assert mail["Reply-To"] == "financeiro@loja.example.com"
    files = attachments(mail)
    pdf_type, pdf = files[f"NFe{invoice['access_key']}.pdf"]
    xml_type, xml = files[f"NFe{invoice['access_key']}-procNFe.xml"]
    assert pdf_type == "application/pdf" and pdf.startswith(b"%PDF")
    assert xml_type == "application/xml" and b"<nfeProc" in xml and b"<protNFe" in xml
    assert xml == http.request("GET", f"/v1/invoices/{invoice['id']}/xml", headers=tenant["headers"]).body
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert "Maria da Silva" in text and "11.222.333/0001-81" in text and "homologação" in text
    assert "Maria da Silva" in html and "<html" in html


@pytest.mark.parametrize("method", ["boleto", "pix", "card_link"])
def test_a_new_charge_is_emailed_with_what_pays_it(http, tenant, shop, method):  # noqa: F811
    status, charge = call(http, tenant, "POST", "/v1/charges", {
        "customer_id": shop["customer_id"], "amount_cents": 12345, "due_date": days_ahead(5),
        "method": method, "description": "Pedido 42"})
    assert status == 201, charge
    deliver_all(http, tenant, "charge.created")

    [record] = notifications(http, tenant, f"?charge_id={charge['id']}")
    assert (record["template"], record["status"], record["charge_ids"]) == ("charge_created", "sent", [charge["id"]])
    [mail] = [m for m in sent_mail() if m["To"] == "maria@example.com"]
    assert "R$ 123,45" in mail["Subject"]
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    files = attachments(mail)
    if method == "boleto":
        digits = charge["boleto"]["digitable_line"]
        printed = f"{digits[0:5]}.{digits[5:10]} {digits[10:15]}.{digits[15:21]}"
        assert printed in text and printed in html
        assert files[f"boleto-{charge['id']}.pdf"][1].startswith(b"%PDF")
    if method in ("boleto", "pix") and charge.get("pix"):
        assert charge["pix"]["brcode"] in text
        content_type, png = files["pix-qrcode.png"]
        assert content_type == "image/png" and png.startswith(b"\x89PNG") and "cid:pix-qrcode" in html
    if method == "card_link":
        assert charge["card_link"]["url"] in text and charge["card_link"]["url"] in html and not files


def test_a_customer_without_an_email_is_a_recorded_skip_not_an_error(http, tenant):
    customer = call(http, tenant, "POST", "/v1/customers", customer_body(email=None))[1]
    charge = call(http, tenant, "POST", "/v1/charges", {
        "customer_id": customer["id"], "amount_cents": 1000, "due_date": days_ahead(3),
        "method": "pix", "description": "Sem e-mail"})[1]
    deliver_all(http, tenant, "charge.created")
    [record] = notifications(http, tenant, f"?customer_id={customer['id']}")
    assert (record["status"], record["to"], record["sent_at"]) == ("skipped", None, None)
    assert "email" in record["skip_reason"] and record["charge_ids"] == [charge["id"]]
    assert not [m for m in sent_mail() if m["To"] != "financeiro@loja.example.com"]


def test_the_tenant_switches_either_email_off_in_settings(http, tenant, shop):  # noqa: F811
    status, body = call(http, tenant, "PATCH", "/v1/tenant/settings", {"notifications": {"charge_email": False}})
    assert status == 200 and body["settings"]["notifications"] == {"invoice_email": True, "charge_email": False}
    call(http, tenant, "POST", "/v1/charges", {"customer_id": shop["customer_id"], "amount_cents": 500,
                                               "due_date": days_ahead(2), "method": "pix",
                                               "description": "x"})
    deliver_all(http, tenant, "charge.created")
    assert notifications(http, tenant, f"?customer_id={shop['customer_id']}") == []
    status, problem = call(http, tenant, "PATCH", "/v1/tenant/settings", {"notifications": {"invoice_email": "no"}})
    assert status == 400 and problem["errors"][0]["field"] == "notifications.invoice_email"


def test_a_redelivered_event_sends_and_records_one_message(http, tenant, shop):  # noqa: F811
    call(http, tenant, "POST", "/v1/charges", {"customer_id": shop["customer_id"], "amount_cents": 700,
                                               "due_date": days_ahead(2), "method": "pix",
                                               "description": "x"})
    deliver_all(http, tenant, "charge.created")
    deliver_all(http, tenant, "charge.created")
    assert len(notifications(http, tenant, "?channel=email")) == 1
    assert len([m for m in sent_mail() if m["To"] == "maria@example.com"]) == 1


def test_filters_are_validated_and_a_notification_is_read_by_id(http, tenant, shop):  # noqa: F811
    call(http, tenant, "POST", "/v1/charges", {"customer_id": shop["customer_id"], "amount_cents": 900,
                                               "due_date": days_ahead(2), "method": "pix",
                                               "description": "x"})
    deliver_all(http, tenant, "charge.created")
    [record] = notifications(http, tenant)
    assert call(http, tenant, "GET", f"/v1/notifications/{record['id']}") == (200, record)
    assert call(http, tenant, "GET", "/v1/notifications/ntf_01ARZ3NDEKTSV4RRFFQ69G5FAV")[0] == 404
    assert notifications(http, tenant, "?channel=sms") == []
    for bad in ("?channel=fax", "?customer_id=cus_1", "?invoice_id=x"):
        status, problem = call(http, tenant, "GET", f"/v1/notifications{bad}")
        assert status == 400 and problem["code"] == "invalid_request", bad
