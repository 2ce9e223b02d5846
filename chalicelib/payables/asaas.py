"""Asaas's bill payment (`POST /v3/bill`): a boleto's or a utility's linha digitável paid now or on a day,
and its `BILL_*` webhooks read into our `BillNotice`.

Asaas's rules (docs.asaas.com, "Bill payment"): only `identificationField` is required (Asaas reads the
amount and due date from the code); with no `scheduleDate` the bill is paid now (after 18:00, or 16:00 for
utilities, taxes and amounts above R$ 250.000,00, on the next business day); a `scheduleDate` must be a
later business day (today is an error) and an overdue bill cannot be scheduled. `service.schedule_payable`
applies those rules before calling, so the answer states the day Asaas will pay.

Asaas has no idempotency key for bills: each submission carries our `externalReference`, and after an
unknown outcome (a timeout, a 5xx) `find` looks for it among the account's latest bills before a second
submission is made.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from chalicelib.collections.providers.asaas import AsaasProvider, authenticated, cents, our_reference
from chalicelib.payables.providers import BillNotice, BillRequest
from chalicelib.platform.errors import FieldError, InvalidRequestError, validation_errors

NAME = "asaas"
PAID_EVENTS = frozenset({"BILL_PAID"})
GAVE_UP_EVENTS = frozenset({"BILL_FAILED", "BILL_CANCELLED"})
FIND_PAGES, PAGE = 5, 100  # the account's 500 latest bills: where a submission of the last days is


class AsaasBillPayer:
    name = NAME

    def __init__(self, provider: AsaasProvider) -> None:
        self._asaas = provider

    def submit(self, request: BillRequest) -> str:
        body: dict[str, Any] = {"identificationField": request.digitable_line,
                                "description": request.description[:500], "externalReference": request.reference}
        if request.schedule_date is not None:
            body["scheduleDate"] = request.schedule_date.isoformat()
        return str(self._asaas.call("POST", "/bill", body)["id"])

    def find(self, reference: str) -> str | None:
        for page in range(FIND_PAGES):
            answer = self._asaas.call("GET", f"/bill?offset={page * PAGE}&limit={PAGE}")
            for bill in answer.get("data") or []:
                if isinstance(bill, dict) and bill.get("externalReference") == reference \
                        and bill.get("status") not in ("CANCELLED", "FAILED"):
                    return str(bill["id"])
            if not answer.get("hasMore"):
                break
        return None


Money = Annotated[Decimal, Field(ge=0, le=Decimal("10000000000"), allow_inf_nan=False)]


class AsaasBill(BaseModel):
    """The part of an Asaas bill we read (the rest is ignored)."""

    model_config = ConfigDict(extra="ignore")

    id: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    value: Money
    discount: Money | None = None
    interest: Money | None = None
    fine: Money | None = None
    paymentDate: date | None = None
    scheduleDate: date | None = None
    externalReference: str | None = None
    failReasons: Any = None


class AsaasBillEvent(BaseModel):
    model_config = ConfigDict(extra="ignore")

    event: str
    bill: AsaasBill


def bill_notice_from_payload(payload: dict[str, Any], today: date) -> BillNotice | None:
    """Our notice of an Asaas bill event; None for the ones that change nothing here (created, pending,
    in bank processing; a refund is left to the statement and a person)."""
    event = payload.get("event")
    if event not in PAID_EVENTS | GAVE_UP_EVENTS:
        return None
    try:
        parsed = AsaasBillEvent.model_validate(payload)
    except ValidationError as exc:
        raise InvalidRequestError("The Asaas bill event is not what Asaas sends.", validation_errors(exc)) from None
    bill = parsed.bill
    tenant_id, payable_id = our_reference(bill.externalReference, "bill", "payable", "bil")
    if event in GAVE_UP_EVENTS:
        return BillNotice(provider=NAME, event_id=f"bill:{bill.id}:{str(event).lower()}", tenant_id=tenant_id,
                          payable_id=payable_id, outcome="failed", provider_payment_id=bill.id,
                          reason=f"{event}: {bill.failReasons}" if bill.failReasons else str(event))
    paid = bill.value + (bill.interest or 0) + (bill.fine or 0) - (bill.discount or 0)
    if paid <= 0:
        raise InvalidRequestError("The bill was paid for nothing.", [FieldError("bill.value", "must be > 0")])
    return BillNotice(provider=NAME, event_id=f"bill:{bill.id}", tenant_id=tenant_id, payable_id=payable_id,
                      outcome="paid", amount_cents=cents(paid),
                      paid_on=bill.paymentDate or bill.scheduleDate or today, provider_payment_id=bill.id)


def read_bill_notice(raw: bytes, headers: dict[str, str], secret_of: Callable[[str], str | None],
                     today: date) -> BillNotice | None:
    """Authenticate (the tenant's Asaas access token, as for its payment webhooks) and read a bill event."""
    return bill_notice_from_payload(authenticated(raw, headers, secret_of, "bill"), today)
