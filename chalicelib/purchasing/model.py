"""Purchasing's pure rules: purchase orders and their states, the supplier's NF-e as taken in."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.platform.states import transition

PurchaseOrderStatus = Literal["open", "partially_received", "received", "cancelled"]
InboundStatus = Literal["summary", "received", "accepted", "rejected"]

# (status, action) → next status: the contract's table.
PO_TRANSITIONS: dict[tuple[str, str], str] = {
    ("open", "cancel"): "cancelled",
    ("open", "receive_part"): "partially_received",
    ("open", "receive_all"): "received",
    ("partially_received", "receive_part"): "partially_received",
    ("partially_received", "receive_all"): "received",
}
INBOUND_TRANSITIONS: dict[tuple[str, str], str] = {
    ("summary", "download"): "received",
    ("received", "accept"): "accepted",
    ("received", "reject"): "rejected",
    ("summary", "reject"): "rejected",
}


def next_order_status(status: str, action: str) -> str:
    return transition(PO_TRANSITIONS, status, action, "a purchase order")


def next_invoice_status(status: str, action: str) -> str:
    return transition(INBOUND_TRANSITIONS, status, action, "an inbound invoice")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PurchaseOrderLine(Strict):
    sku: str
    quantity: int
    unit_cost_cents: int
    received_quantity: int = 0


class PurchaseOrder(Strict):
    id: str
    supplier_id: str
    lines: list[PurchaseOrderLine]
    expected_on: date | None = None
    warehouse: str
    status: PurchaseOrderStatus = "open"
    total_cents: int
    inbound_invoice_ids: list[str] = Field(default_factory=list)
    cancelled_at: str | None = None
    created_at: str
    updated_at: str
    version: int = 1


def receive(order: PurchaseOrder, received: dict[str, int]) -> PurchaseOrder:
    """The order with `received` (SKU → quantity) added to its lines; fully received when every line is."""
    lines = [line.model_copy(update={"received_quantity": line.received_quantity + received.get(line.sku, 0)})
             for line in order.lines]
    action = "receive_all" if all(line.received_quantity >= line.quantity for line in lines) else "receive_part"
    return order.model_copy(update={"lines": lines, "status": next_order_status(order.status, action)})


class Amounts(Strict):
    """What an NF-e adds to or takes from the products, and its taxes: per line, and in total."""

    freight_cents: int = 0
    insurance_cents: int = 0
    discount_cents: int = 0
    other_cents: int = 0
    icms_cents: int = 0
    icms_st_cents: int = 0
    ipi_cents: int = 0
    pis_cents: int = 0
    cofins_cents: int = 0


class InboundLine(Amounts):
    item: int
    supplier_code: str
    gtin: str | None = None  # cEAN (or cEANTrib) unless "SEM GTIN"
    description: str
    ncm: str
    cfop: str
    entry_cfop: str  # the buyer's CFOP for the same operation (5102 → 1102, 6102 → 2102)
    quantity: Decimal
    unit: str
    unit_cost_cents: int  # vUnCom rounded to centavos (vProd is exact)
    total_cents: int
    sku: str | None = None  # what the tenant learned of this supplier's code, else the product with the GTIN
    factor: Decimal = Decimal(1)  # the tenant's units per supplier unit
    matched_by: Literal["learned", "gtin"] | None = None


class InboundTotals(Amounts):
    products_cents: int
    total_cents: int


class InboundInstallment(Strict):
    number: str
    due_date: date
    amount_cents: int


class Emitter(Strict):
    document: str
    name: str
    trade_name: str | None = None
    state_registration: str | None = None
    phone: str | None = None
    address: dict[str, Any] | None = None  # brazil.places.Address fields, when the NF-e's address reads as one


class AcceptedLine(Strict):
    item: int
    sku: str
    factor: Decimal
    quantity: int  # in the tenant's units: the NF-e's quantity × factor
    unit_cost_cents: int  # the line's cost per tenant unit (vProd / quantity)


class Manifestation(Strict):
    """The recipient's MD-e event as the fiscal authority answered it."""

    event_type: str
    status: Literal["registered", "refused"]
    cstat: str
    reason: str
    protocol: str | None = None
    at: str


class Acceptance(Strict):
    warehouse: str
    purchase_order_id: str | None = None
    lines: list[AcceptedLine]
    books: dict[str, Any]  # what the ledger books: payable_cents and the recoverable taxes
    accepted_at: str
    steps_done: list[str] = Field(default_factory=list)  # the saga's steps, each once (service.STEPS)
    payable_ids: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)  # a step that could not do its part, and why


class Rejection(Strict):
    reason: str
    event_type: str
    rejected_at: str


class InboundInvoice(Strict):
    id: str
    access_key: str
    number: int
    series: int
    model: str
    environment: Literal["producao", "homologacao"]
    issued_at: str
    supplier_id: str
    emitter: Emitter
    nature: str
    lines: list[InboundLine]
    totals: InboundTotals
    installments: list[InboundInstallment]
    installments_stated: bool  # False: the NF-e has no cobr/dup; one installment for the total, due on issue
    authorization_protocol: str | None = None  # protNFe's nProt when the XML came as an nfeProc
    status: InboundStatus = "received"
    source: Literal["upload", "dfe"] = "upload"
    signer: str | None = None  # the signing certificate's subject
    acceptance: Acceptance | None = None
    rejection: Rejection | None = None
    manifestation: Manifestation | None = None
    received_at: str
    updated_at: str
    version: int = 1


def entry_cfop(exit_cfop: str) -> str:
    """The buyer's CFOP for a supplier's exit CFOP: 5xxx → 1xxx (same state), 6xxx → 2xxx (another),
    7xxx → 3xxx (abroad)."""
    return {"5": "1", "6": "2", "7": "3"}.get(exit_cfop[:1], exit_cfop[:1]) + exit_cfop[1:]


def inbound_event_data(invoice: InboundInvoice) -> dict[str, Any]:
    return {"inbound_invoice": invoice.model_dump(mode="json", exclude={"lines", "version"})
            | {"line_count": len(invoice.lines)}}


class DfeCursor(Strict):
    """Where the tenant is in its CNPJ root's NSU sequence, and when it may ask again (NT 2014.002)."""

    root: str
    last_nsu: str = "000000000000000"
    max_nsu: str = "000000000000000"
    last_cstat: str | None = None
    last_query_at: str | None = None
    next_query_at: str | None = None  # after 137, ultNSU == maxNSU or 656: an hour later
    leased_until: str | None = None  # one query at a time per root
    gaps: list[str] = Field(default_factory=list)  # NSUs skipped in the sequence, to ask one by one (consNSU)
    single_hour: str | None = None  # consNSU: at most 20 an hour
    single_count: int = 0
    version: int = 0  # 0: never stored
