"""HTTP routes of payables (contas a pagar): bills registered, listed, cancelled and paid by hand."""

from __future__ import annotations

from datetime import date as Date
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from chalicelib.payables import service
from chalicelib.payables.asaas import AsaasBillEvent
from chalicelib.payables.service import NewPayable, PayableDeps
from chalicelib.platform.http import Api, Call, Result, sandbox_only
from chalicelib.platform.pagination import ListQuery, page_body
from chalicelib.platform.text import PRINTABLE

api: Api[PayableDeps] = Api(__name__, tag="Payables")

_ID = r"^[a-z]{3}_[0-9A-HJKMNP-TV-Z]{26}$"
_CODE = r"^[1-9](\.\d{1,3}){0,5}$"
Status = Literal["open", "scheduled", "paid", "overdue", "cancelled"]


class DocumentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    digitable_line: str | None = Field(default=None, max_length=80, description=(
        "A bank boleto's 47-digit linha digitável, or the 48-digit one of utilities and taxes (starts with 8); "
        "dots and spaces ignored."))
    barcode: str | None = Field(default=None, max_length=60, description="The 44-digit barcode.")
    pix_brcode: str | None = Field(default=None, max_length=512, description="A Pix BR Code (copia e cola).")


class NewPayableRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    supplier_id: str = Field(pattern=_ID)
    description: str = Field(min_length=1, max_length=200, pattern=PRINTABLE)
    amount_cents: int | None = Field(default=None, ge=1, le=9_999_999_999, description=(
        "Centavos; defaults to what the code states."))
    due_date: Date | None = Field(default=None, description="Defaults to the bank boleto's.")
    ledger_account: str | None = Field(default=None, pattern=_CODE, description=(
        "The expense it books (default 4.2.01 Despesas administrativas)."))
    document: DocumentRequest | None = None


class DocumentResponse(BaseModel):
    kind: Literal["bank_boleto", "arrecadacao", "pix"]
    digitable_line: str | None
    barcode: str | None
    pix_brcode: str | None
    bank_code: str | None
    segment: str | None
    payee_name: str | None


class SubmissionResponse(BaseModel):
    provider: str
    status: Literal["pending", "submitted", "failed"] = Field(description=(
        "`pending` while the provider's answer is awaited (a lost answer is looked up before any new "
        "submission), then `submitted` or `failed` with the reason."))
    reference: str
    pay_on: str
    provider_payment_id: str | None
    reason: str | None
    at: str


class PaymentResponse(BaseModel):
    id: str
    amount_cents: int
    paid_at: str
    method: str
    source: str
    reference: str | None
    recorded_at: str


class PayableResponse(BaseModel):
    id: str
    supplier_id: str
    description: str
    amount_cents: int
    due_date: str
    status: Status
    ledger_account: str | None
    document: DocumentResponse | None
    origin: Literal["manual", "inbound_invoice"]
    inbound_invoice_id: str | None
    installment: int
    scheduled_for: str | None
    schedule_note: str | None = Field(description="Why the payment day is not the one asked for (cut-off, holiday).")
    submission: SubmissionResponse | None = Field(description=(
        "The bill as handed to a real payment provider (Asaas); null for the local one."))
    paid_at: str | None
    paid_amount_cents: int
    payments: list[PaymentResponse]
    cancelled_at: str | None
    created_at: str
    updated_at: str


class PayableListResponse(BaseModel):
    data: list[PayableResponse]
    next_cursor: str | None


class PayablesQuery(ListQuery):
    model_config = ConfigDict(extra="forbid")

    status: Status | None = None
    supplier_id: str | None = Field(default=None, pattern=_ID)
    due_before: Date | None = None


class PaymentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_cents: int = Field(ge=1, le=9_999_999_999)
    paid_at: AwareDatetime = Field(description="RFC 3339, not in the future.")
    method: Literal["boleto", "pix", "ted", "cash", "other"]


class CancelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScheduleRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    pay_on: Date = Field(description="Today or later; after the cut-off, or on a holiday, the next business day.")


class SandboxPayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount_cents: int | None = Field(default=None, ge=1, le=9_999_999_999, description="Default: the bill's amount.")


@api.route_spec("/v1/payables", "POST", scope="payables:write", request=NewPayableRequest,
                response=PayableResponse, status=201, extra_statuses=(404,))
def create_payable(call: Call[PayableDeps]) -> Result:
    """Register a bill
    By hand, or from its code: a bank boleto's linha digitável or barcode (decoded and check-digit
    verified; amount and due date default to the boleto's), a utility's or tax's 48-digit arrecadação code
    (amount from it, due date required), or a Pix BR Code. A wrong digit is 400 naming the field
    (`document.digitable_line`, `document.barcode`, `document.pix_brcode`); an unknown supplier 404."""
    body: NewPayableRequest = call.body
    doc = body.document or DocumentRequest()
    payable = service.create_payable(call.tenant_id, NewPayable(
        supplier_id=body.supplier_id, description=body.description, amount_cents=body.amount_cents,
        due_date=body.due_date, ledger_account=body.ledger_account, digitable_line=doc.digitable_line,
        barcode=doc.barcode, pix_brcode=doc.pix_brcode), call.deps)
    return Result(service.public(payable), status=201)


@api.route_spec("/v1/payables", scope="payables:read", query=PayablesQuery, response=PayableListResponse)
def list_payables(call: Call[PayableDeps]) -> Result:
    """List payables, newest first
    Filter by `status`, `supplier_id` and `due_before`."""
    q: PayablesQuery = call.query
    page = call.deps.repo.list(call.tenant_id, q.status, q.supplier_id,
                               q.due_before.isoformat() if q.due_before else None, q.limit, q.cursor)
    return Result(page_body(page, service.public))


@api.route_spec("/v1/payables/{payable_id}", scope="payables:read", response=PayableResponse,
                extra_statuses=(404,))
def get_payable(call: Call[PayableDeps], payable_id: str) -> Result:
    """Get a payable"""
    return Result(service.public(call.deps.repo.get(call.tenant_id, payable_id)))


@api.route_spec("/v1/payables/{payable_id}/payments", "POST", scope="payables:write", request=PaymentRequest,
                response=PayableResponse, extra_statuses=(404, 409))
def pay_payable(call: Call[PayableDeps], payable_id: str) -> Result:
    """Record a payment made by hand
    Once: a payable paid (by any path) or cancelled is 409 `invalid_state`."""
    body: PaymentRequest = call.body
    paid_at: datetime = body.paid_at
    return Result(service.public(service.record_payment(call.tenant_id, payable_id, body.amount_cents, paid_at,
                                                        body.method, call.deps)))


@api.route_spec("/v1/payables/{payable_id}/cancel", "POST", scope="payables:write", request=CancelRequest,
                response=PayableResponse, extra_statuses=(404, 409))
def cancel_payable(call: Call[PayableDeps], payable_id: str) -> Result:
    """Cancel a payable
    From `open` or `scheduled`; otherwise 409 `invalid_state`. Its expense entry is reversed."""
    return Result(service.public(service.cancel_payable(call.tenant_id, payable_id, call.deps)))


@api.route_spec("/v1/payables/{payable_id}/schedule", "POST", scope="payables:write", request=ScheduleRequest,
                response=PayableResponse, extra_statuses=(404, 409))
def schedule_payable(call: Call[PayableDeps], payable_id: str) -> Result:
    """Schedule a bill's payment
    The payment provider pays it on `pay_on` (bill payment by its code). After the provider's cut-off (18:00
    in Brasília; 16:00 for utilities and taxes and above R$ 250.000,00), or on a weekend or bank holiday, the
    day moves to the next business day and `schedule_note` says so. An overdue boleto is paid only on the
    day (a later `pay_on` is 400). The local provider pays scheduled bills when the day's run fires; Asaas
    (`settings.collections.provider: asaas`) is handed the linha digitável at once (`POST /v3/bill`,
    `submission` says what it answered; a refusal is 400 with Asaas's reasons, an unreachable Asaas 503 to
    retry, which looks the first attempt up before submitting again). From `open` or `overdue`; else 409
    `invalid_state`."""
    body: ScheduleRequest = call.body
    return Result(service.public(service.schedule_payable(call.tenant_id, payable_id, body.pay_on, call.deps)))


class BillNoticeAnswer(BaseModel):
    received: bool
    payable_id: str | None
    status: Status | None


@api.route_spec("/v1/psp/{provider}/bill-webhooks", "POST", auth="public", response=BillNoticeAnswer,
                extra_statuses=(401, 404, 409), documented_request=AsaasBillEvent)
def bill_webhook(call: Call[PayableDeps], provider: str) -> Result:
    """Receive a payment provider's notices about bills it pays
    `asaas`: Asaas's `BILL_*` webhook events (register this URL in Asaas for them), authenticated by the
    same `asaas-access-token` as its payment webhooks (`GET /v1/psp/asaas/webhook-secret`). `BILL_PAID`
    pays the bill once (its value plus the fine and interest paid, less discounts; a repeat changes nothing;
    the statement's debit line confirms it); `BILL_FAILED` and `BILL_CANCELLED` put a scheduled bill back to
    `open`; the other events are acknowledged and change nothing."""
    bill = service.receive_bill_webhook(provider, call.raw_body, call.headers, call.deps)
    return Result({"received": True, "payable_id": bill.id if bill else None, "status": bill.status if bill else None})


@api.route_spec("/v1/sandbox/payables/{payable_id}/pay", "POST", scope="payables:write", request=SandboxPayRequest,
                response=PayableResponse, extra_statuses=(404, 409))
def sandbox_pay(call: Call[PayableDeps], payable_id: str) -> Result:
    """Make the local provider pay a bill now (local and sandbox only)
    Through the same notice path as the day's run: the bill is paid once (a paid one is 409)."""
    from uuid import uuid4

    sandbox_only()
    body: SandboxPayRequest = call.body
    return Result(service.public(service.provider_paid(call.tenant_id, payable_id, f"sbx{uuid4().hex}", call.deps,
                                                       body.amount_cents)))
