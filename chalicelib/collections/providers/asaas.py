"""Asaas API v3 adapter: create the customer and the payment; read Asaas's payment webhooks.

Asaas authenticates its webhooks with the `asaas-access-token` header (the token set when the
webhook is registered: here the tenant's `asaas` webhook secret) and names our charge in
`payment.externalReference`, which we set to `<tenant_id>:<charge_id>` when creating the payment.
Amounts travel as decimal reais; they are converted to centavos exactly (Decimal, never float).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator

from chalicelib.collections.model import BoletoInfo, CardLinkInfo, Charge, PixInfo
from chalicelib.collections.providers import Issued, IssueRequest, Payee, PaymentNotice
from chalicelib.collections.signatures import InvalidSignatureError
from chalicelib.platform.errors import FieldError, InvalidRequestError, ServiceUnavailableError, validation_errors
from chalicelib.platform.ids import is_id
from chalicelib.platform.money import round_cents

NAME = "asaas"
SANDBOX_URL = "https://api-sandbox.asaas.com/v3"
TOKEN_HEADER = "asaas-access-token"
SETTLING_EVENTS = frozenset({"PAYMENT_RECEIVED", "PAYMENT_CONFIRMED"})
BILLING_TYPE = {"boleto": "BOLETO", "pix": "PIX", "card_link": "CREDIT_CARD"}
METHOD_OF_BILLING = {"BOLETO": "boleto", "PIX": "pix", "CREDIT_CARD": "card_link"}


def reais(cents: int) -> str:
    return f"{Decimal(cents) / 100:.2f}"


def cents(value: Any) -> int:
    return round_cents(Decimal(str(value)) * 100)


class AsaasProvider:
    name = NAME

    def __init__(self, api_key: str, session: Any, base_url: str = SANDBOX_URL) -> None:
        self._key, self._session, self._base = api_key, session, base_url.rstrip("/")

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """One Asaas API call: its JSON answer; 400 naming Asaas's reasons on a refusal, 503 to retry when
        Asaas is out of reach, overloaded or answers something other than JSON."""
        import requests

        try:
            answer = self._session.request(method, self._base + path, json=body, timeout=10,
                                           headers={"access_token": self._key, "User-Agent": "retaguarda"})
        except requests.RequestException:
            raise ServiceUnavailableError("Asaas could not be reached; retry.", headers={"Retry-After": "5"}) from None
        if answer.status_code >= 500 or answer.status_code == 429:
            raise ServiceUnavailableError("Asaas is unavailable; retry.", headers={"Retry-After": "5"})
        try:
            data = answer.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            if answer.status_code in (401, 403):
                raise InvalidRequestError("Asaas refused the API key.", [FieldError("api_key", "was refused by Asaas")])
            raise ServiceUnavailableError("Asaas answered something other than JSON; retry.",
                                          headers={"Retry-After": "5"})
        if answer.status_code >= 400:
            errors = [FieldError("provider", str(e.get("description", ""))) for e in data.get("errors", [])]
            raise InvalidRequestError("Asaas refused the request.", errors)
        return data

    def create_customer(self, name: str, document: str, email: str | None, external_reference: str) -> str:
        body = {"name": name, "cpfCnpj": document, "externalReference": external_reference}
        if email:
            body["email"] = email
        return str(self.call("POST", "/customers", body)["id"])

    def create_payment(self, customer: str, request: IssueRequest) -> dict[str, Any]:
        return self.call("POST", "/payments", {
            "customer": customer, "billingType": BILLING_TYPE[request.method], "value": reais(request.amount_cents),
            "dueDate": request.due_date.isoformat(), "description": request.description[:500],
            "externalReference": f"{request.payee.tenant_id}:{request.charge_id}"})

    def issue(self, request: IssueRequest) -> Issued:
        customer = self.create_customer(request.payer.name, request.payer.document, request.payer.email,
                                        request.payer.customer_id)
        payment = self.create_payment(customer, request)
        payment_id = str(payment["id"])
        boleto = pix = card = None
        if request.method == "boleto":
            field = self.call("GET", f"/payments/{payment_id}/identificationField")
            boleto = BoletoInfo(bank_code=str(field["barCode"])[:3], our_number=str(field["nossoNumero"]),
                                barcode=str(field["barCode"]), digitable_line=str(field["identificationField"]),
                                layout="asaas")
        if request.method in ("pix", "boleto"):
            qr = self.call("GET", f"/payments/{payment_id}/pixQrCode")
            pix = PixInfo(txid=payment_id.replace("pay_", "").ljust(26, "0")[:35], brcode=str(qr["payload"]))
        if request.method == "card_link":
            card = CardLinkInfo(url=str(payment["invoiceUrl"]))
        return Issued(boleto=boleto, pix=pix, card_link=card, provider_charge_id=payment_id)

    def updated(self, charge: Charge, payee: Payee, day: date, amount_cents: int) -> Issued:
        """Asaas keeps a late payment payable with its own fine and interest: the same payment's linha
        digitável and Pix payload, read again (Asaas recomputes the value; nothing to reissue here)."""
        if charge.provider_charge_id is None:
            return Issued(boleto=charge.boleto, pix=charge.pix, card_link=charge.card_link)
        payment_id = charge.provider_charge_id
        boleto = charge.boleto
        if boleto is not None:
            field = self.call("GET", f"/payments/{payment_id}/identificationField")
            boleto = boleto.model_copy(update={"barcode": str(field["barCode"]),
                                               "digitable_line": str(field["identificationField"])})
        pix = charge.pix
        if pix is not None:
            pix = pix.model_copy(update={"brcode": str(self.call("GET", f"/payments/{payment_id}/pixQrCode")["payload"])})
        return Issued(boleto=boleto, pix=pix, card_link=charge.card_link, provider_charge_id=payment_id)


class AsaasPayment(BaseModel):
    """The part of an Asaas payment event we read (the rest is ignored)."""

    model_config = ConfigDict(extra="ignore")

    id: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    value: Annotated[Decimal, Field(gt=0, le=Decimal("10000000000"), allow_inf_nan=False)]
    billingType: str | None = None
    externalReference: str | None = None
    clientPaymentDate: date | None = None
    paymentDate: date | None = None
    confirmedDate: date | None = None

    @field_validator("value", mode="before")
    @classmethod
    def _a_number(cls, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError("must be a number of reais")
        return value


class AsaasEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = None
    event: str
    payment: AsaasPayment


def our_reference(reference: str | None, subject: str, ours: str, prefix: str | None) -> tuple[str, str]:
    """(tenant id, our id) from an Asaas object's `externalReference`, which we set to `<tenant_id>:<our id>`
    when creating it; 400 naming `<subject>.externalReference` otherwise (our id checked for `prefix` if given)."""
    tenant_id, _, own_id = (reference or "").partition(":")
    if not is_id(tenant_id, "ten") or not own_id or (prefix is not None and not is_id(own_id, prefix)):
        raise InvalidRequestError(f"The {subject}'s externalReference does not name one of our {ours}s.",
                                  [FieldError(f"{subject}.externalReference", f"must be '<tenant_id>:<{ours}_id>'")])
    return tenant_id, own_id


def notice_from_payload(payload: dict[str, Any]) -> PaymentNotice | None:
    """Our settlement of an Asaas webhook payload; None for events that move no money."""
    if payload.get("event") not in SETTLING_EVENTS:
        return None
    try:
        parsed = AsaasEvent.model_validate(payload)
    except ValidationError as exc:
        raise InvalidRequestError("The Asaas event is not what Asaas sends.", validation_errors(exc)) from None
    payment = parsed.payment
    tenant_id, charge_id = our_reference(payment.externalReference, "payment", "charge", None)
    paid_on = payment.clientPaymentDate or payment.paymentDate or payment.confirmedDate
    if not paid_on:
        raise InvalidRequestError("The payment has no payment date.", [FieldError("payment.paymentDate", "is required")])
    # One settlement per Asaas payment: PAYMENT_CONFIRMED and PAYMENT_RECEIVED of a card payment are two
    # events (two ids) for the same money, so the notice is keyed by the payment.
    return PaymentNotice(provider=NAME, event_id=f"payment:{payment.id}",
                         tenant_id=tenant_id, charge_id=charge_id, amount_cents=cents(payment.value),
                         paid_at=f"{paid_on.isoformat()}T12:00:00-03:00",
                         method=METHOD_OF_BILLING.get(str(payment.billingType), "boleto"))


def authenticated(raw: bytes, headers: dict[str, str], secret_of: Callable[[str], str | None],
                  subject: str) -> dict[str, Any]:
    """An Asaas webhook's JSON once its access token matches the tenant's secret; the tenant is the one
    named in `<subject>.externalReference` (`<tenant_id>:<our id>`, set when we created the object)."""
    try:
        payload = json.loads(raw.decode("utf-8"))
        reference = str((payload.get(subject) or {}).get("externalReference") or "")
    except (UnicodeDecodeError, ValueError, AttributeError):
        raise InvalidRequestError("The notice is not a JSON object.", [FieldError("body", "malformed")]) from None
    tenant_id = reference.partition(":")[0]
    secret = secret_of(tenant_id) if is_id(tenant_id, "ten") else None
    token = headers.get(TOKEN_HEADER, "")
    if secret is None or not hmac.compare_digest(secret.encode(), token.encode()):
        raise InvalidSignatureError("The notice's access token is missing or wrong.",
                                    [FieldError(TOKEN_HEADER, "does not match")])
    return dict(payload)


def read_notice(raw: bytes, headers: dict[str, str], secret_of: Callable[[str], str | None]) -> PaymentNotice | None:
    """Authenticate (the tenant's access token) and read an Asaas webhook."""
    return notice_from_payload(authenticated(raw, headers, secret_of, "payment"))
