"""The ledger through the API: the default chart and accounts added under a group, manual entries
validated, the books posted from a sale's events exactly once (NF-e, payment, shipment, cancellation),
the trial balance and the accountant's CSV. The invariants (every entry balanced, each event posted
once, the monthly totals equal to the journal) are audited after every scenario."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any

import pytest

from tests.api.test_catalog import call, fields
from tests.api.test_orders import deliver_event, order_body, shop  # noqa: F401 - fixtures
from tests.clock import app_today, days_ahead


@pytest.fixture(autouse=True)
def books_stay_right(tenant):
    yield
    from chalicelib.ledger.invariants import audit
    from tests.deps import root

    assert audit(tenant["id"], root().ledger_repository) == []


def deliver(http, tenant, event_type: str, consumer: str = "ledger_consumer") -> int:
    events = call(http, tenant, "GET", f"/v1/events?type={event_type}")[1]["data"]
    for event in events:
        assert deliver_event(consumer, event_type, tenant, event["data"], event["id"]) == {"batchItemFailures": []}
    return len(events)


def balances(http, tenant, as_of: str | None = None) -> dict[str, int]:
    status, body = call(http, tenant, "GET", "/v1/ledger/trial-balance" + (f"?as_of={as_of}" if as_of else ""))
    assert status == 200, body
    assert body["totals"]["debit_cents"] == body["totals"]["credit_cents"]
    return {row["code"]: row["balance_cents"] for row in body["accounts"]}


def entries(http, tenant, query: str = "") -> list[dict[str, Any]]:
    status, body = call(http, tenant, "GET", f"/v1/ledger/entries{query}")
    assert status == 200, body
    return body["data"]


def manual(**overrides: Any) -> dict[str, Any]:
    body = {"date": app_today().isoformat(), "memo": "Aporte de capital",
            "lines": [{"account": "1.1.1.02", "debit_cents": 100000},
                      {"account": "2.3.1.01", "credit_cents": 100000}]}
    body.update(overrides)
    return body


def test_every_tenant_starts_with_a_brazilian_smb_chart(http, tenant):
    status, body = call(http, tenant, "GET", "/v1/ledger/accounts")
    assert status == 200
    chart = {a["code"]: a for a in body["data"]}
    assert chart["1.1.2.01"] == {"code": "1.1.2.01", "name": "Clientes a receber", "type": "asset",
                                 "parent": "1.1.2", "group": False, "system": True}
    assert chart["1.1"]["group"] and chart["2.3.1.01"]["type"] == "equity"
    assert {chart[c]["type"] for c in ("3.1.01", "3.2.02", "3.3.01")} == {"revenue"}
    assert chart["4.1.01"]["name"] == "Custo das mercadorias vendidas"
    codes = [a["code"] for a in body["data"]]
    assert codes.index("1.1.1.02") < codes.index("1.1.2") < codes.index("2")


def test_an_account_is_added_under_a_group_with_its_type(http, tenant):
    status, added = call(http, tenant, "POST", "/v1/ledger/accounts",
                         {"code": "4.2.10", "name": "Aluguel", "parent": "4.2"})
    assert status == 201 and added == {"code": "4.2.10", "name": "Aluguel", "type": "expense", "parent": "4.2",
                                       "group": False, "system": False}
    for code in ("4.2.10", "4.2.01"):  # added before, or in the default chart
        assert call(http, tenant, "POST", "/v1/ledger/accounts", {"code": code, "name": "Outro", "parent": "4.2"})[0] == 409
    for body, field in (({"code": "4.2.01.1", "name": "x", "parent": "4.2.01"}, "parent"),
                        ({"code": "4.3.11", "name": "x", "parent": "4.2"}, "code"),
                        ({"code": "4.2.11", "name": "x", "parent": "4.2", "type": "asset"}, "type"),
                        ({"code": "9.1", "name": "x", "parent": "9"}, "parent"),
                        ({"code": "4.2.12", "name": "", "parent": "4.2"}, "name")):
        status, problem = call(http, tenant, "POST", "/v1/ledger/accounts", body)
        assert status == 400 and field in fields(problem), (body, problem)
    assert "4.2.10" in [a["code"] for a in call(http, tenant, "GET", "/v1/ledger/accounts")[1]["data"]]


def test_a_manual_entry_that_does_not_balance_is_refused_naming_lines(http, tenant):
    unbalanced = manual(lines=[{"account": "1.1.1.02", "debit_cents": 100000},
                               {"account": "2.3.1.01", "credit_cents": 99999}])
    status, problem = call(http, tenant, "POST", "/v1/ledger/entries", unbalanced)
    assert status == 400 and fields(problem) == {"lines"}, problem
    cases = [(manual(lines=[{"account": "9.9.9", "debit_cents": 1}, {"account": "1.1.1.02", "credit_cents": 1}]),
              "lines.0.account"),
             (manual(lines=[{"account": "1.1.1.02", "debit_cents": 1}, {"account": "1.1", "credit_cents": 1}]),
              "lines.1.account"),
             (manual(lines=[{"account": "1.1.1.02", "debit_cents": 1, "credit_cents": 1},
                            {"account": "2.3.1.01", "credit_cents": 0}]), "lines.0"),
             (manual(lines=[{"account": "1.1.1.02", "debit_cents": 1}]), "lines"),
             (manual(date=days_ahead(1)), "date"),
             (manual(lines=[{"account": "1.1.1.02", "debit_cents": -5}, {"account": "2.3.1.01", "credit_cents": 5}]),
              "lines.0.debit_cents")]
    for body, field in cases:
        status, problem = call(http, tenant, "POST", "/v1/ledger/entries", body)
        assert status == 400 and field in fields(problem), (body, problem)
    assert entries(http, tenant) == [] and balances(http, tenant) == {}


def test_a_manual_entry_is_in_the_journal_and_the_trial_balance(http, tenant):
    status, entry = call(http, tenant, "POST", "/v1/ledger/entries", manual())
    assert status == 201 and entry["id"].startswith("jnl_")
    assert entry["source"] == {"event_id": None, "type": "manual", "document_id": None}
    assert call(http, tenant, "GET", f"/v1/ledger/entries/{entry['id']}")[1] == entry
    assert [e["id"] for e in entries(http, tenant, "?account=2.3.1.01")] == [entry["id"]]
    assert entries(http, tenant, "?account=1.1.2.01") == []
    assert balances(http, tenant) == {"1.1.1.02": 100000, "2.3.1.01": 100000}
    assert balances(http, tenant, as_of=days_ahead(-1)) == {}  # dated today: not in yesterday's balance


def test_a_back_dated_entry_counts_in_its_month_and_every_balance_after(http, tenant):
    earlier = (app_today().replace(day=1) - timedelta(days=3)).isoformat()  # in the month before
    call(http, tenant, "POST", "/v1/ledger/entries", manual(date=earlier))
    call(http, tenant, "POST", "/v1/ledger/entries", manual(memo="Tarifa", lines=[
        {"account": "4.3.01", "debit_cents": 1290}, {"account": "1.1.1.02", "credit_cents": 1290}]))
    assert balances(http, tenant, as_of=earlier) == {"1.1.1.02": 100000, "2.3.1.01": 100000}
    assert balances(http, tenant) == {"1.1.1.02": 98710, "2.3.1.01": 100000, "4.3.01": 1290}
    window = entries(http, tenant, f"?from={earlier}&to={app_today().isoformat()}")
    assert [e["memo"] for e in window] == ["Aporte de capital", "Tarifa"]  # in date order


def test_a_sale_is_booked_once_from_its_nfe_payment_and_shipment(http, tenant, shop):  # noqa: F811
    order = call(http, tenant, "POST", "/v1/orders", order_body(shop))[1]  # 2 × 2590 + 600 + 1500 shipping
    invoice = call(http, tenant, "POST", "/v1/invoices", {"order_id": order["id"]})[1]
    assert invoice["status"] == "authorized"
    for _ in range(2):  # redelivered: booked once
        assert deliver(http, tenant, "invoice.authorized") == 1
    assert balances(http, tenant) == {"1.1.2.01": 7280, "3.1.01": 5780, "3.1.02": 1500}
    [sale] = entries(http, tenant)
    assert sale["source"]["type"] == "invoice.authorized" and sale["source"]["document_id"] == invoice["id"]

    deliver(http, tenant, "invoice.authorized", "collections_consumer")  # the order's two charges
    charges = call(http, tenant, "GET", f"/v1/charges?customer_id={shop['customer_id']}")[1]["data"]
    first = min(charges, key=lambda c: c["installment"])
    assert call(http, tenant, "POST", f"/v1/sandbox/charges/{first['id']}/pay", {})[0] == 200
    deliver(http, tenant, "charge.created")  # an order's charges book nothing: the NF-e booked the sale
    for _ in range(2):
        deliver(http, tenant, "charge.paid")
    assert balances(http, tenant) == {"1.1.1.02": first["amount_cents"], "1.1.2.01": 7280 - first["amount_cents"],
                                      "3.1.01": 5780, "3.1.02": 1500}

    deliver(http, tenant, "invoice.authorized", "orders_consumer")  # the order is invoiced: it may ship
    assert call(http, tenant, "POST", f"/v1/orders/{order['id']}/ship", {"carrier": "Correios"})[0] == 200
    for _ in range(2):
        deliver(http, tenant, "order.shipped")
    books = balances(http, tenant)
    assert (books["4.1.01"], books["1.1.3.01"]) == (3 * 1400, -3 * 1400)  # cost 1400 each, 3 units
    assert len(entries(http, tenant)) == 3


def test_a_cancelled_nfe_is_reversed_once(http, tenant, shop):  # noqa: F811
    order = call(http, tenant, "POST", "/v1/orders", order_body(shop))[1]
    invoice = call(http, tenant, "POST", "/v1/invoices", {"order_id": order["id"]})[1]
    deliver(http, tenant, "invoice.authorized")
    assert call(http, tenant, "POST", f"/v1/invoices/{invoice['id']}/cancel",
                {"reason": "Pedido cancelado pelo cliente antes do envio"})[0] == 200
    for _ in range(2):
        deliver(http, tenant, "invoice.cancelled")
    sale, reversal = entries(http, tenant)
    assert reversal["reverses"] == sale["id"] and reversal["source"]["type"] == "invoice.cancelled"
    assert {(ln["account"], ln["debit_cents"], ln["credit_cents"]) for ln in reversal["lines"]} == {
        (ln["account"], ln["credit_cents"], ln["debit_cents"]) for ln in sale["lines"]}
    assert all(v == 0 for v in balances(http, tenant).values())


def test_a_cancellation_before_its_sale_was_booked_waits_for_it(http, tenant, shop):  # noqa: F811
    order = call(http, tenant, "POST", "/v1/orders", order_body(shop))[1]
    invoice = call(http, tenant, "POST", "/v1/invoices", {"order_id": order["id"]})[1]
    call(http, tenant, "POST", f"/v1/invoices/{invoice['id']}/cancel",
         {"reason": "Pedido cancelado pelo cliente antes do envio"})
    [event] = call(http, tenant, "GET", "/v1/events?type=invoice.cancelled")[1]["data"]
    failed = deliver_event("ledger_consumer", "invoice.cancelled", tenant, event["data"], event["id"])
    assert failed == {"batchItemFailures": [{"itemIdentifier": event["id"]}]}  # SQS redelivers it later
    deliver(http, tenant, "invoice.authorized")
    deliver(http, tenant, "invoice.cancelled")
    assert len(entries(http, tenant)) == 2 and all(v == 0 for v in balances(http, tenant).values())


def test_a_charge_of_no_order_is_booked_and_its_late_payment_earns_fine_and_interest(monday, http, tenant,
                                                                                    shop):  # noqa: F811
    charge = call(http, tenant, "POST", "/v1/charges", {
        "customer_id": shop["customer_id"], "amount_cents": 10000, "due_date": days_ahead(0), "method": "pix",
        "description": "Consultoria"})[1]
    deliver(http, tenant, "charge.created")
    assert balances(http, tenant) == {"1.1.2.01": 10000, "3.1.03": 10000}
    monday.advance(days=10)
    status, paid = call(http, tenant, "POST", f"/v1/sandbox/charges/{charge['id']}/pay", {})
    assert status == 200, paid
    deliver(http, tenant, "charge.paid")
    got = call(http, tenant, "GET", f"/v1/charges/{charge['id']}")[1]
    extra = got["paid_amount_cents"] - 10000
    assert extra > 0  # the fine and the interest of the days late
    assert balances(http, tenant) == {"1.1.1.02": got["paid_amount_cents"], "1.1.2.01": 0, "3.1.03": 10000,
                                      "3.3.01": extra}


def test_a_cancelled_charge_of_no_order_is_reversed(http, tenant, shop):  # noqa: F811
    charge = call(http, tenant, "POST", "/v1/charges", {
        "customer_id": shop["customer_id"], "amount_cents": 5000, "due_date": days_ahead(5), "method": "boleto",
        "description": "Serviço"})[1]
    deliver(http, tenant, "charge.created")
    assert call(http, tenant, "POST", f"/v1/charges/{charge['id']}/cancel", {})[0] == 200
    deliver(http, tenant, "charge.cancelled")
    assert balances(http, tenant) == {"1.1.2.01": 0, "3.1.03": 0}


def test_the_journal_is_exported_for_a_brazilian_spreadsheet(http, tenant):
    call(http, tenant, "POST", "/v1/ledger/entries", manual(lines=[
        {"account": "1.1.1.02", "debit_cents": 123456}, {"account": "2.3.1.01", "credit_cents": 123456}]))
    today = app_today()
    answer = http.request("GET", f"/v1/ledger/export?from={days_ahead(-30)}&to={today.isoformat()}&format=csv",
                          headers=tenant["headers"])
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in answer.headers["Content-Disposition"]
    text = answer.body.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:6] == ["data", "lancamento", "conta", "nome_da_conta", "debito", "credito"]
    assert [r[2:6] for r in rows[1:]] == [["1.1.1.02", "Bancos conta movimento", "1234,56", "0,00"],
                                          ["2.3.1.01", "Capital social integralizado", "0,00", "1234,56"]]
    assert rows[1][0] == today.strftime("%d/%m/%Y")
    too_long = call(http, tenant, "GET", f"/v1/ledger/export?from={days_ahead(-400)}&to={today.isoformat()}")
    assert too_long[0] == 400 and "to" in fields(too_long[1])


@pytest.mark.parametrize("path", ["/v1/ledger/entries?from=ontem", "/v1/ledger/entries?account=1..2",
                                  "/v1/ledger/trial-balance?as_of=2026-13-01", "/v1/ledger/export?from=2026-01-01",
                                  "/v1/ledger/entries?from=2026-03-02&to=2026-03-01", "/v1/ledger/entries?x=1"])
def test_bad_queries_are_400_naming_the_parameter(http, tenant, path):
    status, problem = call(http, tenant, "GET", path)
    assert status == 400 and fields(problem), problem


def test_another_tenants_entry_is_not_found_and_scopes_apply(http, tenant):
    from tests.api.conftest import tenant_body
    from tests.conftest import ADMIN

    entry = call(http, tenant, "POST", "/v1/ledger/entries", manual())[1]
    other = http.request("POST", "/v1/tenants", tenant_body(cnpj="60701190000104"), ADMIN)
    other_key = {"Authorization": f"Bearer {json.loads(other.body)['api_key']}"}
    assert http.request("GET", f"/v1/ledger/entries/{entry['id']}", headers=other_key).status_code == 404
    key = call(http, tenant, "POST", "/v1/api-keys", {"name": "leitor", "scopes": ["ledger:read"]})[1]["key"]
    reader = {"Authorization": f"Bearer {key}"}
    assert http.request("GET", "/v1/ledger/trial-balance", headers=reader).status_code == 200
    assert http.request("POST", "/v1/ledger/entries", manual(), reader).status_code == 403
