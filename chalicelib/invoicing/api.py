"""HTTP routes of the invoicing context."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, StringConstraints

from chalicelib.invoicing.model import Correction, InvoiceDoc, InvoiceStatus, InvoiceTotals, public
from chalicelib.platform.errors import FieldError, InvalidRequestError
from chalicelib.platform.http import Api, Call, Result
from chalicelib.platform.pagination import ListQuery, page_body

if TYPE_CHECKING:  # the service (and nfelib) load on the first call that needs them: a small cold start
    from chalicelib.invoicing.service import InvoicingDeps

api: Api[InvoicingDeps] = Api(__name__, tag="Invoices")

OrderId = Annotated[str, StringConstraints(pattern=r"^ord_[0-9A-HJKMNP-TV-Z]{26}$")]


class CreateInvoiceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    order_id: OrderId


def _fiscal_text(value: object) -> object:
    """xJust / xCorrecao: SEFAZ's schema takes printable Latin-1 on one line. Runs of white space (line
    breaks, tabs) become one space; characters beyond Latin-1 (emoji, curly quotes) are refused."""
    if not isinstance(value, str):
        return value  # the str type says what is wrong
    text = " ".join(value.split())
    bad = sorted({c for c in text if not (" " <= c <= "~" or "\xa0" <= c <= "\xff")})
    if bad:
        raise ValueError(f"use printable Latin-1 characters only (not {''.join(bad)!r}): SEFAZ refuses the rest")
    return text


class CancelInvoiceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Annotated[str, BeforeValidator(_fiscal_text), StringConstraints(min_length=15, max_length=255)]


class CorrectionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, BeforeValidator(_fiscal_text), StringConstraints(min_length=15, max_length=1000)]


class VoidNumbersRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    series: StrictInt = Field(ge=0, le=999)
    first_number: StrictInt = Field(ge=1, le=999_999_999)
    last_number: StrictInt = Field(ge=1, le=999_999_999)
    reason: Annotated[str, BeforeValidator(_fiscal_text), StringConstraints(min_length=15, max_length=255)]


class InvoiceResponse(BaseModel):
    id: str
    order_id: str
    model: str
    series: int
    number: int
    access_key: str | None
    status: InvoiceStatus
    environment: Literal["homologacao", "producao"]
    protocol: str | None
    status_code: str | None = Field(description="SEFAZ cStat of the last answer")
    status_reason: str | None
    issued_at: str
    authorized_at: str | None
    cancelled_at: str | None
    cancel_reason: str | None
    cancellation_protocol: str | None = Field(description="Protocol of the cancellation event (110111)")
    voided_numbers: list[int] = Field(description="Numbers this NF-e held while rejected that were voided "
                                                  "(inutilizados); it was renumbered on resubmission")
    totals: InvoiceTotals | None
    corrections: list[Correction]


class InvoiceListResponse(BaseModel):
    data: list[InvoiceResponse]
    next_cursor: str | None


class InvoiceQuery(ListQuery):
    model_config = ConfigDict(extra="forbid")

    status: InvoiceStatus | None = None


class NumberVoidResponse(BaseModel):
    id: str
    series: int
    first_number: int
    last_number: int
    reason: str
    protocol: str | None
    status_code: str
    status_reason: str
    voided_at: str


MAX_VOID_RANGE = 90


def _service() -> Any:
    # NF-e building and signing (nfelib, lxml, signxml) are heavy: loaded on the first fiscal call,
    # not on every cold start of the API function.
    from chalicelib.invoicing import service

    return service


def render(invoice: InvoiceDoc) -> dict[str, Any]:
    return public(invoice)


@api.route_spec("/v1/invoices", "POST", scope="invoices:write", request=CreateInvoiceRequest,
                response=InvoiceResponse, status=201, extra_statuses=(200, 404, 409))
def create_invoice(call: Call[InvoicingDeps]) -> Result:
    """Emit the NF-e of an order
    Numbers, builds, signs, validates and sends the NF-e to the fiscal authority. Idempotent per
    order: an existing invoice is returned (200), a pending one is re-sent and a rejected one is
    resubmitted with its number. Orders are invoiced automatically after `order.confirmed` when
    the tenant has invoicing enabled."""
    body: CreateInvoiceRequest = call.body
    existed = call.deps.repo.find_by_order(call.tenant_id, body.order_id) is not None
    invoice = _service().emit_invoice(call.tenant_id, body.order_id, call.deps)
    return Result(render(invoice), status=200 if existed else 201)


@api.route_spec("/v1/invoices", scope="invoices:read", query=InvoiceQuery, response=InvoiceListResponse)
def list_invoices(call: Call[InvoicingDeps]) -> Result:
    """List invoices, newest first, by `status`"""
    page = call.deps.repo.list(call.tenant_id, call.query.status, call.query.limit, call.query.cursor)
    return Result(page_body(page, render))


@api.route_spec("/v1/invoices/{invoice_id}", scope="invoices:read", response=InvoiceResponse, extra_statuses=(404,))
def get_invoice(call: Call[InvoicingDeps], invoice_id: str) -> Result:
    """Get an invoice"""
    return Result(render(call.deps.repo.get(call.tenant_id, invoice_id)))


@api.route_spec("/v1/invoices/{invoice_id}/xml", scope="invoices:read", content_type="application/xml",
                extra_statuses=(404,))
def get_invoice_xml(call: Call[InvoicingDeps], invoice_id: str) -> Result:
    """The signed NF-e XML (`nfeProc` once authorized)"""
    invoice = call.deps.repo.get(call.tenant_id, invoice_id)
    documents = call.deps.documents
    name = "nfe-proc.xml" if invoice.status in ("authorized", "cancelled") else "nfe.xml"
    return Result(documents.get(call.tenant_id, invoice.id, name).decode("utf-8"), content_type="application/xml")


@api.route_spec("/v1/invoices/{invoice_id}/danfe", scope="invoices:read", content_type="application/pdf",
                extra_statuses=(404, 409))
def get_invoice_danfe(call: Call[InvoicingDeps], invoice_id: str) -> Result:
    """The DANFE (PDF) of an authorized NF-e
    A cancelled NF-e's DANFE carries the "CANCELADA" watermark."""
    invoice = call.deps.repo.get(call.tenant_id, invoice_id)
    pdf = _service().danfe(call.tenant_id, invoice, call.deps)
    return Result(pdf, content_type="application/pdf",
                  headers={"Content-Disposition": f'inline; filename="NFe{invoice.access_key}.pdf"'})


@api.route_spec("/v1/invoices/{invoice_id}/cancel", "POST", scope="invoices:write", request=CancelInvoiceRequest,
                response=InvoiceResponse, extra_statuses=(404, 409))
def cancel_invoice(call: Call[InvoicingDeps], invoice_id: str) -> Result:
    """Cancel an authorized NF-e (within 24 h of authorization)"""
    body: CancelInvoiceRequest = call.body
    return Result(render(_service().cancel_invoice(call.tenant_id, invoice_id, body.reason, call.deps)))


@api.route_spec("/v1/invoices/{invoice_id}/corrections", "POST", scope="invoices:write", request=CorrectionRequest,
                response=InvoiceResponse, status=201, extra_statuses=(404, 409))
def correct_invoice(call: Call[InvoicingDeps], invoice_id: str) -> Result:
    """Register a carta de correção
    At most 20 per NF-e, within 30 days; each one carries the consolidated text of all so far.
    It cannot change values, quantities, taxes, parties or dates."""
    body: CorrectionRequest = call.body
    invoice = _service().correct_invoice(call.tenant_id, invoice_id, body.text, call.deps)
    return Result(render(invoice), status=201)


@api.route_spec("/v1/invoice-number-voids", "POST", scope="invoices:write", request=VoidNumbersRequest,
                response=NumberVoidResponse, status=201, extra_statuses=(409,))
def void_invoice_numbers(call: Call[InvoicingDeps]) -> Result:
    """Void unused NF-e numbers (inutilização)
    For numbers no NF-e was authorized with: never used, or held by a rejected NF-e."""
    body: VoidNumbersRequest = call.body
    errors = []
    if body.last_number < body.first_number:
        errors.append(FieldError("last_number", "must be at least first_number"))
    elif body.last_number - body.first_number + 1 > MAX_VOID_RANGE:
        errors.append(FieldError("last_number", f"a request voids at most {MAX_VOID_RANGE} numbers"))
    if errors:
        raise InvalidRequestError("The range is invalid.", errors)
    doc = _service().void_numbers(call.tenant_id, body.series, body.first_number, body.last_number, body.reason,
                               call.deps)
    return Result(doc, status=201)
