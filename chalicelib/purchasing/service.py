"""Use cases of purchasing: purchase orders placed and cancelled; a supplier's NF-e taken in once per access
key, addressed to the tenant, its supplier found or registered, its lines matched to SKUs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING, Any, Protocol

from chalicelib.platform.clock import Clock, rfc3339
from chalicelib.platform.dynamo import UnitOfWork, retry_lost_races
from chalicelib.platform.errors import (
    AppError,
    ConflictError,
    FieldError,
    InvalidRequestError,
)
from chalicelib.platform.events import EventFactory, stage_event
from chalicelib.platform.ids import IdGenerator
from chalicelib.platform.pagination import Page
from chalicelib.purchasing import nfe_in
from chalicelib.purchasing.model import (
    PO_TRANSITIONS,
    Emitter,
    InboundInvoice,
    InboundLine,
    PurchaseOrder,
    PurchaseOrderLine,
    inbound_event_data,
    next_status,
)

if TYPE_CHECKING:
    from decimal import Decimal

    from chalicelib.catalog.model import Product, Supplier

MAX_PO_LINES = 200
XML_NAME = "nfe.xml"


class NotAddressedError(AppError):
    """An NF-e whose recipient is not the tenant."""

    status = 422
    code = "not_addressed_to_tenant"
    title = "Not addressed to the tenant"


class PurchasingRepository(Protocol):
    def stage_new_order(self, uow: UnitOfWork, tenant_id: str, order: PurchaseOrder) -> None: ...
    def stage_order_update(self, uow: UnitOfWork, tenant_id: str, order: PurchaseOrder, expected_version: int,
                           on_fail: Callable[[], None]) -> None: ...
    def get_order(self, tenant_id: str, order_id: str) -> PurchaseOrder: ...
    def list_orders(self, tenant_id: str, status: str | None, supplier_id: str | None, limit: int,
                    cursor: str | None) -> Page[PurchaseOrder]: ...
    def stage_new_invoice(self, uow: UnitOfWork, tenant_id: str, invoice: InboundInvoice,
                          on_duplicate: Callable[[], None]) -> None: ...
    def stage_invoice_update(self, uow: UnitOfWork, tenant_id: str, invoice: InboundInvoice, expected_version: int,
                             on_fail: Callable[[], None]) -> None: ...
    def invoice_id_by_access_key(self, tenant_id: str, access_key: str) -> str | None: ...
    def get_invoice(self, tenant_id: str, invoice_id: str) -> InboundInvoice: ...
    def list_invoices(self, tenant_id: str, status: str | None, supplier_id: str | None, limit: int,
                      cursor: str | None) -> Page[InboundInvoice]: ...
    def learned(self, tenant_id: str, supplier_id: str, codes: Iterable[str]) -> dict[str, tuple[str, Decimal]]: ...
    def stage_learned(self, uow: UnitOfWork, tenant_id: str, supplier_id: str, code: str, sku: str,
                      factor: Decimal) -> None: ...


class DocumentStore(Protocol):
    def put(self, tenant_id: str, invoice_id: str, name: str, body: bytes, content_type: str) -> str: ...
    def get(self, tenant_id: str, invoice_id: str, name: str) -> bytes: ...


@dataclass(frozen=True)
class PurchasingDeps:
    repo: PurchasingRepository
    ids: IdGenerator
    clock: Clock
    events: EventFactory
    documents: DocumentStore  # the XML as received, under the inbound invoice's id
    tenant_document: Callable[[str], str]  # the tenant's CNPJ
    supplier: Callable[[str, str], Supplier]  # catalog's reader (404 naming supplier_id)
    find_supplier: Callable[[str, str], Supplier | None]  # by CPF/CNPJ
    create_supplier: Callable[[str, dict[str, Any]], Supplier]  # catalog's use case (409 on a taken document)
    products: Callable[[str, Iterable[str]], dict[str, Product]]
    skus_by_gtin: Callable[[str, str], list[str]]
    warehouse_exists: Callable[[str, str], bool]
    icp_brasil_roots: Callable[[], bytes | None]  # the PEM bundle a produção NF-e's certificate must chain to


class _LostRace(Exception):
    pass


def _lost() -> None:
    raise _LostRace


# Purchase orders
@dataclass(frozen=True)
class NewPurchaseOrder:
    supplier_id: str
    lines: list[tuple[str, int, int]]  # (sku, quantity, unit_cost_cents)
    expected_on: Any = None
    warehouse: str = "main"


def create_purchase_order(tenant_id: str, cmd: NewPurchaseOrder, deps: PurchasingDeps) -> PurchaseOrder:
    """`POST /v1/purchase-orders`: the supplier must exist (404 naming supplier_id), every SKU too (400
    naming lines.N.sku), each SKU once, and the warehouse must be registered (400 naming warehouse)."""
    errors = []
    skus = [sku for sku, _, _ in cmd.lines]
    known = deps.products(tenant_id, skus)
    seen: set[str] = set()
    for n, sku in enumerate(skus):
        if sku not in known:
            errors.append(FieldError(f"lines.{n}.sku", "no product has this SKU"))
        elif sku in seen:
            errors.append(FieldError(f"lines.{n}.sku", "is on another line already"))
        seen.add(sku)
    if cmd.warehouse != "main" and not deps.warehouse_exists(tenant_id, cmd.warehouse):
        errors.append(FieldError("warehouse", "is not a registered warehouse"))
    if errors:
        raise InvalidRequestError("The purchase order is not valid.", errors)
    deps.supplier(tenant_id, cmd.supplier_id)
    now = rfc3339(deps.clock.now())
    lines = [PurchaseOrderLine(sku=sku, quantity=quantity, unit_cost_cents=cost) for sku, quantity, cost in cmd.lines]
    order = PurchaseOrder(id=deps.ids.new("po"), supplier_id=cmd.supplier_id, lines=lines, expected_on=cmd.expected_on,
                          warehouse=cmd.warehouse, total_cents=sum(q * c for _, q, c in cmd.lines), created_at=now,
                          updated_at=now)
    uow = UnitOfWork()
    deps.repo.stage_new_order(uow, tenant_id, order)
    stage_event(uow, deps.events.make(tenant_id, "purchase_order.created", {"purchase_order": public(order)}))
    uow.commit()
    return order


def cancel_purchase_order(tenant_id: str, order_id: str, deps: PurchasingDeps) -> PurchaseOrder:
    def attempt() -> PurchaseOrder:
        current = deps.repo.get_order(tenant_id, order_id)
        now = rfc3339(deps.clock.now())
        updated = current.model_copy(update={
            "status": next_status(PO_TRANSITIONS, "purchase order", current.status, "cancel"), "cancelled_at": now,
            "updated_at": now, "version": current.version + 1})
        uow = UnitOfWork()
        deps.repo.stage_order_update(uow, tenant_id, updated, current.version, on_fail=_lost)
        stage_event(uow, deps.events.make(tenant_id, "purchase_order.cancelled", {"purchase_order": public(updated)}))
        uow.commit()
        return updated

    return retry_lost_races(attempt, retry_on=(_LostRace,), attempts=10, what="purchase order")


# Inbound invoices
@dataclass(frozen=True)
class Intake:
    invoice: InboundInvoice
    created: bool


class _Duplicate(Exception):
    pass


def _duplicate() -> None:
    raise _Duplicate


def receive_invoice(tenant_id: str, raw: bytes, deps: PurchasingDeps, *, source: str = "upload") -> Intake:
    """`POST /v1/inbound-invoices`: a supplier's NF-e read and verified (400), addressed to the tenant (422
    `not_addressed_to_tenant`), its certificate chained to ICP-Brasil when it is a produção NF-e; stored
    once per access key (the same key again answers the first one)."""
    nfe = nfe_in.read(raw)
    first = deps.repo.invoice_id_by_access_key(tenant_id, nfe.access_key)
    if first is not None:
        return Intake(deps.repo.get_invoice(tenant_id, first), created=False)
    tenant_cnpj = deps.tenant_document(tenant_id)
    if nfe.recipient_document != tenant_cnpj:
        raise NotAddressedError(f"The NF-e is addressed to {nfe.recipient_document or 'nobody'}, not to the "
                                f"tenant's CNPJ {tenant_cnpj}.", [FieldError("dest.CNPJ", "is not the tenant's CNPJ")])
    if nfe.emitter.document == tenant_cnpj:
        raise InvalidRequestError("An NF-e the tenant issued itself is not a supplier's.",
                                  [FieldError("emit.CNPJ", "is the tenant's own CNPJ")])
    if nfe.environment == "producao":
        nfe_in.check_chain(nfe.certificate_der, deps.icp_brasil_roots(), nfe.issued_at.astimezone(UTC))
    supplier_id = _supplier_for(tenant_id, nfe.emitter, deps)
    lines = match_lines(tenant_id, supplier_id, nfe.lines, deps)
    now = rfc3339(deps.clock.now())
    invoice = InboundInvoice(
        id=deps.ids.new("nfi"), access_key=nfe.access_key, number=nfe.number, series=nfe.series, model=nfe.model,
        environment="producao" if nfe.environment == "producao" else "homologacao",
        issued_at=rfc3339(nfe.issued_at), supplier_id=supplier_id, emitter=nfe.emitter, nature=nfe.nature,
        lines=lines, totals=nfe.totals, installments=nfe.installments, installments_stated=nfe.installments_stated,
        authorization_protocol=nfe.protocol, source="dfe" if source == "dfe" else "upload", signer=nfe.signer,
        received_at=now, updated_at=now)
    deps.documents.put(tenant_id, invoice.id, XML_NAME, raw, "application/xml")  # before the item: never dangling
    uow = UnitOfWork()
    deps.repo.stage_new_invoice(uow, tenant_id, invoice, on_duplicate=_duplicate)
    stage_event(uow, deps.events.make(tenant_id, "inbound_invoice.received", inbound_event_data(invoice)))
    try:
        uow.commit()
    except _Duplicate:  # the same NF-e at the same moment: the first one stands
        winner = deps.repo.invoice_id_by_access_key(tenant_id, nfe.access_key)
        assert winner is not None
        return Intake(deps.repo.get_invoice(tenant_id, winner), created=False)
    return Intake(invoice, created=True)


def _supplier_for(tenant_id: str, emitter: Emitter, deps: PurchasingDeps) -> str:
    """The supplier with the emitter's CPF/CNPJ, registered from the NF-e on first sight."""
    found = deps.find_supplier(tenant_id, emitter.document)
    if found is not None:
        return found.id
    data: dict[str, Any] = {"name": emitter.name[:60], "document": emitter.document}
    extra = {"state_registration": emitter.state_registration, "address": emitter.address}
    try:
        return deps.create_supplier(tenant_id, data | {k: v for k, v in extra.items() if v}).id
    except ConflictError:  # registered meanwhile (another NF-e of theirs at the same moment)
        pass
    except InvalidRequestError:  # what the NF-e states does not read as our fields: the name and document do
        try:
            return deps.create_supplier(tenant_id, data).id
        except ConflictError:
            pass
    again = deps.find_supplier(tenant_id, emitter.document)
    assert again is not None
    return again.id


def match_lines(tenant_id: str, supplier_id: str, lines: list[InboundLine], deps: PurchasingDeps) -> list[InboundLine]:
    """Each line's SKU: what the tenant learned of this supplier's code (with its unit factor), else the one
    product carrying the line's GTIN; else none (the acceptance names it)."""
    learned = deps.repo.learned(tenant_id, supplier_id, {line.supplier_code for line in lines})
    matched = []
    for line in lines:
        if line.supplier_code in learned:
            sku, factor = learned[line.supplier_code]
            matched.append(line.model_copy(update={"sku": sku, "factor": factor, "matched_by": "learned"}))
            continue
        skus = deps.skus_by_gtin(tenant_id, line.gtin) if line.gtin else []
        if len(skus) == 1:
            matched.append(line.model_copy(update={"sku": skus[0], "matched_by": "gtin"}))
        else:
            matched.append(line)
    return matched


def invoice_xml(tenant_id: str, invoice_id: str, deps: PurchasingDeps) -> bytes:
    deps.repo.get_invoice(tenant_id, invoice_id)  # 404 for another tenant's or a missing one
    return deps.documents.get(tenant_id, invoice_id, XML_NAME)


def public(model: PurchaseOrder | InboundInvoice) -> dict[str, Any]:
    body = model.model_dump(mode="json", exclude={"version"})
    if isinstance(model, InboundInvoice):  # quantities and factors as JSON numbers (4 decimals at most)
        for shown, line in zip(body["lines"], model.lines, strict=True):
            shown["quantity"], shown["factor"] = float(line.quantity), float(line.factor)
    return body
