"""HTTP routes of purchasing: purchase orders, and the supplier's NF-e taken in."""

from __future__ import annotations

from datetime import date as Date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.platform.http import Api, Call, Result, sandbox_only
from chalicelib.platform.pagination import ListQuery, page_body
from chalicelib.platform.text import PRINTABLE
from chalicelib.purchasing import service
from chalicelib.purchasing.service import NewPurchaseOrder, PurchasingDeps

api: Api[PurchasingDeps] = Api(__name__, tag="Purchasing")

_ID = r"^[a-z]{2,3}_[0-9A-HJKMNP-TV-Z]{26}$"
_SKU = r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,59}$"
POStatus = Literal["open", "partially_received", "received", "cancelled"]
InboundStatus = Literal["summary", "received", "accepted", "rejected"]
XML_TYPES = ("application/xml", "text/xml", "application/octet-stream")


class PurchaseOrderLineRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(pattern=_SKU)
    quantity: int = Field(ge=1, le=1_000_000)
    unit_cost_cents: int = Field(ge=0, le=9_999_999_999)


class NewPurchaseOrderRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    supplier_id: str = Field(pattern=_ID)
    lines: list[PurchaseOrderLineRequest] = Field(min_length=1, max_length=service.MAX_PO_LINES)
    expected_on: Date | None = None
    warehouse: str = Field(default="main", pattern=r"^[a-z0-9][a-z0-9-]{0,31}$")


class PurchaseOrderLineResponse(BaseModel):
    sku: str
    quantity: int
    unit_cost_cents: int
    received_quantity: int


class PurchaseOrderResponse(BaseModel):
    id: str
    supplier_id: str
    lines: list[PurchaseOrderLineResponse]
    expected_on: str | None
    warehouse: str
    status: POStatus
    total_cents: int
    inbound_invoice_ids: list[str]
    cancelled_at: str | None
    created_at: str
    updated_at: str


class PurchaseOrderListResponse(BaseModel):
    data: list[PurchaseOrderResponse]
    next_cursor: str | None


class BySupplierQuery(ListQuery):
    model_config = ConfigDict(extra="forbid")

    supplier_id: str | None = Field(default=None, pattern=_ID)


class PurchaseOrdersQuery(BySupplierQuery):
    status: POStatus | None = None


class EmptyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AmountsResponse(BaseModel):
    freight_cents: int
    insurance_cents: int
    discount_cents: int
    other_cents: int
    icms_cents: int
    icms_st_cents: int
    ipi_cents: int
    pis_cents: int
    cofins_cents: int


class InboundLineResponse(AmountsResponse):
    item: int
    supplier_code: str
    gtin: str | None
    description: str
    ncm: str
    cfop: str
    entry_cfop: str = Field(description="The buyer's CFOP for the operation (5102 → 1102, 6102 → 2102).")
    quantity: float
    unit: str
    unit_cost_cents: int
    total_cents: int
    sku: str | None = Field(description="The SKU this line enters as: learned from an earlier acceptance of "
                                        "this supplier's code, else the one product with the line's GTIN.")
    factor: float = Field(description="The tenant's units per supplier unit.")
    matched_by: Literal["learned", "gtin"] | None


class InboundTotalsResponse(AmountsResponse):
    products_cents: int
    total_cents: int


class InstallmentResponse(BaseModel):
    number: str
    due_date: str
    amount_cents: int


class EmitterResponse(BaseModel):
    document: str
    name: str
    trade_name: str | None
    state_registration: str | None
    phone: str | None
    address: dict[str, object] | None


class AcceptedLineResponse(BaseModel):
    item: int
    sku: str
    factor: float
    quantity: int = Field(description="In the tenant's units: the NF-e's quantity × factor.")
    unit_cost_cents: int


class AcceptanceResponse(BaseModel):
    warehouse: str
    purchase_order_id: str | None
    lines: list[AcceptedLineResponse]
    books: dict[str, object]
    accepted_at: str
    steps_done: list[str] = Field(description=(
        "The acceptance's steps done so far (stock:N, payables, purchase_order, learned, manifest), each once, "
        "by the purchasing queue within seconds."))
    payable_ids: list[str]
    notes: list[str]


class ManifestationResponse(BaseModel):
    event_type: str = Field(description="210200 confirmação, 210220 desconhecimento, 210240 operação não realizada.")
    status: Literal["registered", "refused"]
    cstat: str
    reason: str
    protocol: str | None
    at: str


class RejectionResponse(BaseModel):
    reason: str
    event_type: str
    rejected_at: str


class InboundInvoiceResponse(BaseModel):
    id: str
    access_key: str
    number: int
    series: int
    model: str
    environment: Literal["producao", "homologacao"]
    issued_at: str
    supplier_id: str
    emitter: EmitterResponse
    nature: str
    lines: list[InboundLineResponse]
    totals: InboundTotalsResponse
    installments: list[InstallmentResponse]
    installments_stated: bool = Field(description="False when the NF-e has no cobr/dup: one installment for the "
                                                  "total, due on the day it was issued.")
    authorization_protocol: str | None
    status: InboundStatus
    source: Literal["upload", "dfe"]
    signer: str | None
    acceptance: AcceptanceResponse | None
    rejection: RejectionResponse | None
    manifestation: ManifestationResponse | None
    received_at: str
    updated_at: str


class InboundInvoiceListResponse(BaseModel):
    data: list[InboundInvoiceResponse]
    next_cursor: str | None


class InboundInvoicesQuery(BySupplierQuery):
    status: InboundStatus | None = None


@api.route_spec("/v1/purchase-orders", "POST", scope="purchasing:write", request=NewPurchaseOrderRequest,
                response=PurchaseOrderResponse, status=201, extra_statuses=(404,))
def create_purchase_order(call: Call[PurchasingDeps]) -> Result:
    """Place a purchase order
    Lines of known SKUs (each once; an unknown one is 400 naming `lines.N.sku`) with the quantity and the unit
    cost agreed; an unknown supplier is 404. Accepting the supplier's NF-e against it records what was received."""
    body: NewPurchaseOrderRequest = call.body
    order = service.create_purchase_order(call.tenant_id, NewPurchaseOrder(
        supplier_id=body.supplier_id, lines=[(line.sku, line.quantity, line.unit_cost_cents) for line in body.lines],
        expected_on=body.expected_on, warehouse=body.warehouse), call.deps)
    return Result(service.public(order), status=201)


@api.route_spec("/v1/purchase-orders", scope="purchasing:read", query=PurchaseOrdersQuery,
                response=PurchaseOrderListResponse)
def list_purchase_orders(call: Call[PurchasingDeps]) -> Result:
    """List purchase orders, newest first"""
    q: PurchaseOrdersQuery = call.query
    return Result(page_body(call.deps.repo.list_orders(call.tenant_id, q.status, q.supplier_id, q.limit, q.cursor),
                            service.public))


@api.route_spec("/v1/purchase-orders/{order_id}", scope="purchasing:read", response=PurchaseOrderResponse,
                extra_statuses=(404,))
def get_purchase_order(call: Call[PurchasingDeps], order_id: str) -> Result:
    """Get a purchase order"""
    return Result(service.public(call.deps.repo.get_order(call.tenant_id, order_id)))


@api.route_spec("/v1/purchase-orders/{order_id}/cancel", "POST", scope="purchasing:write", request=EmptyRequest,
                response=PurchaseOrderResponse, extra_statuses=(404, 409))
def cancel_purchase_order(call: Call[PurchasingDeps], order_id: str) -> Result:
    """Cancel a purchase order
    Only an `open` one (nothing received yet); otherwise 409 `invalid_state`."""
    return Result(service.public(service.cancel_purchase_order(call.tenant_id, order_id, call.deps)))


@api.route_spec("/v1/inbound-invoices", "POST", scope="purchasing:write", response=InboundInvoiceResponse,
                status=201, request_content_type="application/xml", extra_statuses=(413, 415, 422),
                also_accepts=XML_TYPES)
def receive_inbound_invoice(call: Call[PurchasingDeps]) -> Result:
    """Take in a supplier's NF-e
    The XML as the body (`NFe` or `nfeProc`): valid against the official XSD (v4.00), its XML-DSig verified
    against the certificate it carries (a tampered document is 400 naming `Signature`; a produção NF-e's
    certificate must chain to ICP-Brasil, a homologação one may be self-signed), addressed to the tenant's
    CNPJ (else 422 `not_addressed_to_tenant`). The supplier is found by CNPJ or registered from the NF-e; lines
    are matched to SKUs by what earlier acceptances taught (this supplier's code → SKU and unit factor), then
    by GTIN. The same access key again answers 200 with the first one."""
    intake = service.receive_invoice(call.tenant_id, call.raw_body, call.deps)
    return Result(service.public(intake.invoice), status=201 if intake.created else 200)


class AcceptLineRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    item: int = Field(ge=1, le=990, description="The NF-e's nItem.")
    sku: str = Field(pattern=_SKU)
    factor: Decimal | None = Field(default=None, gt=0, le=100_000, max_digits=12, decimal_places=6, description=(
        "The tenant's units per supplier unit (a box of 12: 12). Default: what was learned, else 1."))


class AcceptRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    purchase_order_id: str | None = Field(default=None, pattern=_ID)
    warehouse: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9-]{0,31}$", description=(
        "Where the goods enter (default: the purchase order's, else main)."))
    lines: list[AcceptLineRequest] = Field(default_factory=list, max_length=990, description=(
        "SKU and factor for the lines not matched, or to correct a match; remembered for this supplier."))


class RejectRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=15, max_length=255, pattern=PRINTABLE)
    unknown: bool = Field(default=False, description=(
        "true: 210220 desconhecimento da operação (the tenant never ordered it); false: 210240 operação não "
        "realizada."))


@api.route_spec("/v1/inbound-invoices/{invoice_id}/accept", "POST", scope="purchasing:write", request=AcceptRequest,
                response=InboundInvoiceResponse, extra_statuses=(404, 409))
def accept_inbound_invoice(call: Call[PurchasingDeps], invoice_id: str) -> Result:
    """Accept a supplier's NF-e
    Every line needs a SKU (the match, or `lines`; else 400 naming `lines.N.sku`) and a whole quantity in the
    tenant's units (`factor`; else `lines.N.factor`). The answer is `accepted` at once; the purchasing queue
    then books, each once: a stock receipt per line, a payable per installment (`origin: inbound_invoice`),
    the purchase order's received quantities (`purchase_order.received`), what was learned of the supplier's
    codes, and the recipient's confirmation (MD-e 210200); the ledger books the goods and the recoverable
    ICMS (regime normal) against suppliers payable. `acceptance.steps_done` shows the progress. Twice is 409."""
    from chalicelib.purchasing.service import AcceptCommand, LineChoice

    body: AcceptRequest = call.body
    cmd = AcceptCommand(purchase_order_id=body.purchase_order_id, warehouse=body.warehouse,
                        lines=tuple(LineChoice(item=line.item, sku=line.sku, factor=line.factor) for line in body.lines))
    return Result(service.public(service.accept_invoice(call.tenant_id, invoice_id, cmd, call.deps)))


@api.route_spec("/v1/inbound-invoices/{invoice_id}/reject", "POST", scope="purchasing:write", request=RejectRequest,
                response=InboundInvoiceResponse, extra_statuses=(404, 409))
def reject_inbound_invoice(call: Call[PurchasingDeps], invoice_id: str) -> Result:
    """Reject a supplier's NF-e
    Sends the recipient's MD-e first (210240 operação não realizada with `reason`, or 210220 desconhecimento
    with `unknown: true`) and marks it `rejected` once the fiscal authority registered it; its refusal is 409
    with the authority's reason. Only a `received` or `summary` one (an accepted one is 409)."""
    body: RejectRequest = call.body
    return Result(service.public(service.reject_invoice(call.tenant_id, invoice_id, body.reason, body.unknown,
                                                        call.deps)))


class SyncResponse(BaseModel):
    cstat: str = Field(description="The last answer: 138 documents found, 137 none, 656 consumo indevido.")
    reason: str
    queries: int
    documents: int
    received: int = Field(description="Full NF-e taken in (status received).")
    summaries: int = Field(description="Summaries taken in (status summary); each gets the ciência (210210).")
    last_nsu: str
    max_nsu: str
    next_query_at: str | None = Field(description="When the next query is allowed (an hour after nothing new).")


class SandboxDepositResponse(BaseModel):
    access_key: str
    nsu: str | None = Field(description="The summary's NSU; null when it was deposited before.")


@api.route_spec("/v1/inbound-invoices/sync", "POST", scope="purchasing:write", request=EmptyRequest,
                response=SyncResponse, extra_statuses=(429,))
def sync_inbound_invoices(call: Call[PurchasingDeps]) -> Result:
    """Fetch the documents addressed to the tenant now
    From the fiscal authority's distribution (NFeDistribuicaoDFe; the schedule does it hourly): the tenant's
    CNPJ root continues from its last NSU until nothing is new. Summaries (`resNFe`) become `summary` and
    get the ciência (210210); their full NF-e comes in a later sync and is taken in like an upload. Too soon
    after "nothing new" (137, or ultNSU = maxNSU) or after a 656 is 429 `rate_limited` with `Retry-After`,
    and no query is made: the authority would block the CNPJ for another hour."""
    from dataclasses import asdict

    return Result(asdict(service.sync_inbox(call.tenant_id, call.deps)))


@api.route_spec("/v1/sandbox/inbound-invoices", "POST", scope="purchasing:write", response=SandboxDepositResponse,
                status=201, request_content_type="application/xml", extra_statuses=(404, 413, 415, 422),
                also_accepts=XML_TYPES)
def sandbox_inbound_invoice(call: Call[PurchasingDeps]) -> Result:
    """Put a supplier's NF-e at the local fiscal authority (local and sandbox only)
    The XML (`NFe`, authorized there, or `nfeProc`) is checked like an upload and must be addressed to the
    tenant; the next sync gets its summary, and after the ciência its full document."""
    sandbox_only()
    return Result(service.sandbox_deposit(call.tenant_id, call.raw_body, call.deps), status=201)


@api.route_spec("/v1/inbound-invoices", scope="purchasing:read", query=InboundInvoicesQuery,
                response=InboundInvoiceListResponse)
def list_inbound_invoices(call: Call[PurchasingDeps]) -> Result:
    """List inbound invoices, newest first"""
    q: InboundInvoicesQuery = call.query
    return Result(page_body(call.deps.repo.list_invoices(call.tenant_id, q.status, q.supplier_id, q.limit,
                                                         q.cursor), service.public))


@api.route_spec("/v1/inbound-invoices/{invoice_id}", scope="purchasing:read", response=InboundInvoiceResponse,
                extra_statuses=(404,))
def get_inbound_invoice(call: Call[PurchasingDeps], invoice_id: str) -> Result:
    """Get an inbound invoice"""
    return Result(service.public(call.deps.repo.get_invoice(call.tenant_id, invoice_id)))


@api.route_spec("/v1/inbound-invoices/{invoice_id}/xml", scope="purchasing:read", content_type="application/xml",
                extra_statuses=(404,))
def get_inbound_invoice_xml(call: Call[PurchasingDeps], invoice_id: str) -> Result:
    """The supplier's NF-e XML, as received"""
    return Result(service.invoice_xml(call.tenant_id, invoice_id, call.deps).decode("utf-8"),
                  content_type="application/xml")


class SuggestionResponse(BaseModel):
    sku: str
    name: str
    available: int
    min_stock: int
    on_order: int = Field(description="Still to come on open purchase orders.")
    daily_sales: float = Field(description="Units shipped a day over the last 30 days.")
    days_of_cover: float | None = Field(description="(available + on order) ÷ daily sales; null with no sales.")
    supplier_id: str | None = Field(description="Where the SKU came from last (its last accepted NF-e).")
    lead_time_days: int = Field(description="The supplier's `lead_time_days`, else 7.")
    reason: Literal["below_min_stock", "runs_out_within_lead_time"]
    suggested_quantity: int = Field(description=(
        "min_stock + daily sales × (lead time + 30 days), less what is available and on order."))
    unit_cost_cents: int | None = Field(description="What it cost per unit last time.")


class SuggestionListResponse(BaseModel):
    data: list[SuggestionResponse]


@api.route_spec("/v1/purchasing/suggestions", scope="purchasing:read", response=SuggestionListResponse)
def purchasing_suggestions(call: Call[PurchasingDeps]) -> Result:
    """SKUs to reorder, most urgent first
    A SKU whose stock and what is on order fall below its `min_stock`, or would run out within its supplier's
    lead time at the last 30 days' shipments, with the quantity to order (lead time plus 30 days of sales on
    top of `min_stock`), its last supplier and unit cost."""
    from dataclasses import asdict

    return Result({"data": [asdict(s) for s in service.suggestions(call.tenant_id, call.deps)]})
