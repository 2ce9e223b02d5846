"""Use cases of purchasing: purchase orders placed and cancelled; a supplier's NF-e taken in once per access
key, addressed to the tenant, its supplier found or registered, its lines matched to SKUs."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
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
    Acceptance,
    AcceptedLine,
    DfeCursor,
    Emitter,
    InboundInstallment,
    InboundInvoice,
    InboundLine,
    Manifestation,
    PurchaseOrder,
    PurchaseOrderLine,
    Rejection,
    inbound_event_data,
    next_invoice_status,
    next_order_status,
    receive,
)

if TYPE_CHECKING:
    from chalicelib.catalog.model import Product, Supplier
    from chalicelib.invoicing.authority import AuthorityAnswer
    from chalicelib.invoicing.dfe import Distribution

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
    def stage_source(self, uow: UnitOfWork, tenant_id: str, sku: str, supplier_id: str, unit_cost_cents: int,
                     received_at: str) -> None: ...
    def sources(self, tenant_id: str, skus: Iterable[str]) -> dict[str, tuple[str, int]]: ...
    def cursor(self, tenant_id: str, root: str) -> DfeCursor: ...
    def save_cursor(self, tenant_id: str, cursor: DfeCursor, expected_version: int) -> bool: ...


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
    tenant_regime: Callable[[str], str]  # the tenant's tax regime (what it recovers of a purchase's taxes)
    # stock's receipts staged into our transaction: (uow, tenant, [(sku, quantity, warehouse)], reference, reason)
    stage_receipts: Callable[[UnitOfWork, str, list[tuple[str, int, str]], str, str], object]
    # payables' bills of an invoice staged into our transaction: → their ids
    stage_payables: Callable[[UnitOfWork, str, str, str, str, list[InboundInstallment]], list[str]]
    # the recipient's MD-e event through the tenant's fiscal authority: (tenant, access key, tpEvento, xJust)
    manifest: Callable[[str, str, str, str | None], AuthorityAnswer]
    distribute: Callable[[str, str], Distribution]  # the distribution after an NSU, for the tenant's CNPJ root
    distribute_one: Callable[[str, str], Distribution]  # the document at one NSU (consNSU, a gap)
    deposit: Callable[[str, bytes], tuple[str, str]]  # the sandbox: a supplier NF-e at the local authority
    tenant_environment: Callable[[str], str]  # homologacao | producao
    tenant_ids: Callable[[], Iterator[str]]  # every tenant (the hourly schedule)
    all_products: Callable[[str], Iterator[Product]]  # the catalog, every product (reorder suggestions)
    levels: Callable[[str, list[str]], dict[str, int]]  # stock: available per SKU (all warehouses)
    shipped_since: Callable[[str, str, datetime], int]  # stock: units of a SKU shipped since an instant
    lead_time: Callable[[str, str], int | None]  # the supplier's lead time in days, if stated


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
            "status": next_order_status(current.status, "cancel"), "cancelled_at": now,
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
    summary = None
    if first is not None:
        existing = deps.repo.get_invoice(tenant_id, first)
        if existing.status != "summary":
            return Intake(existing, created=False)
        summary = existing  # the distribution's summary, now with its full document
    tenant_cnpj = _addressed_to_tenant(tenant_id, nfe, deps)
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
    if summary is not None:
        invoice = invoice.model_copy(update={
            "id": summary.id, "status": next_invoice_status(summary.status, "download"),
            "manifestation": summary.manifestation, "received_at": summary.received_at,
            "version": summary.version + 1})
    deps.documents.put(tenant_id, invoice.id, XML_NAME, raw, "application/xml")  # before the item: never dangling
    uow = UnitOfWork()
    if summary is not None:
        deps.repo.stage_invoice_update(uow, tenant_id, invoice, summary.version, on_fail=_duplicate)
    else:
        deps.repo.stage_new_invoice(uow, tenant_id, invoice, on_duplicate=_duplicate)
    stage_event(uow, deps.events.make(tenant_id, "inbound_invoice.received", inbound_event_data(invoice)))
    try:
        uow.commit()
    except _Duplicate:  # the same NF-e at the same moment: the first one stands
        winner = deps.repo.invoice_id_by_access_key(tenant_id, nfe.access_key)
        assert winner is not None
        return Intake(deps.repo.get_invoice(tenant_id, winner), created=False)
    return Intake(invoice, created=True)


def _addressed_to_tenant(tenant_id: str, nfe: nfe_in.SupplierNfe, deps: PurchasingDeps) -> str:
    """The tenant's CNPJ, when the NF-e is addressed to it; else 422 `not_addressed_to_tenant`."""
    tenant_cnpj = deps.tenant_document(tenant_id)
    if nfe.recipient_document != tenant_cnpj:
        raise NotAddressedError(f"The NF-e is addressed to {nfe.recipient_document or 'nobody'}, not to the "
                                f"tenant's CNPJ {tenant_cnpj}.", [FieldError("dest.CNPJ", "is not the tenant's CNPJ")])
    return tenant_cnpj


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
    if isinstance(model, InboundInvoice):  # quantities and factors as JSON numbers (4 and 6 decimals at most)
        for shown, line in zip(body["lines"], model.lines, strict=True):
            shown["quantity"], shown["factor"] = float(line.quantity), float(line.factor)
        if model.acceptance is not None:
            for shown, accepted in zip(body["acceptance"]["lines"], model.acceptance.lines, strict=True):
                shown["factor"] = float(accepted.factor)
    return body


# Acceptance: one commit, then a saga of steps each done once
STOCK_CHUNK = 40  # lines per stock transaction: 2 items each + the invoice + stock.moved, under DynamoDB's 100
MAX_INSTALLMENTS = 45  # two items each, in one transaction with the invoice
REGISTERED = frozenset({"135", "136", "155"})
REPEATED = "573"  # the same event registered before: the manifestation stands


@dataclass(frozen=True)
class LineChoice:
    item: int
    sku: str
    factor: Decimal | None = None


@dataclass(frozen=True)
class AcceptCommand:
    purchase_order_id: str | None = None
    warehouse: str | None = None
    lines: tuple[LineChoice, ...] = ()


def _quantity(line: InboundLine, factor: Decimal) -> int | None:
    received = line.quantity * factor
    return int(received) if received == received.to_integral_value() and received > 0 else None


def _accepted_lines(tenant_id: str, invoice: InboundInvoice, cmd: AcceptCommand,
                    deps: PurchasingDeps) -> list[AcceptedLine]:
    errors: list[FieldError] = []
    items = {line.item for line in invoice.lines}
    choices: dict[int, tuple[int, LineChoice]] = {}
    for i, choice in enumerate(cmd.lines):
        if choice.item not in items:
            errors.append(FieldError(f"lines.{i}.item", f"the NF-e has no item {choice.item}"))
        choices[choice.item] = (i, choice)
    accepted, field_of = [], {}
    for n, line in enumerate(invoice.lines):
        index, choice = choices.get(line.item, (None, None))  # type: ignore[assignment]
        field = f"lines.{index if index is not None else n}"
        sku = choice.sku if choice else line.sku
        factor = choice.factor if choice and choice.factor is not None else (
            line.factor if choice is None or choice.sku == line.sku else Decimal(1))
        if sku is None:
            errors.append(FieldError(f"{field}.sku", f"item {line.item} ({line.supplier_code}) has no SKU: name it"))
            continue
        quantity = _quantity(line, factor)
        if quantity is None:
            errors.append(FieldError(f"{field}.factor", f"{line.quantity} {line.unit} × {factor} is not a whole "
                                                        "number of the tenant's units"))
            continue
        field_of[sku] = f"{field}.sku"
        accepted.append(AcceptedLine(item=line.item, sku=sku, factor=factor, quantity=quantity,
                                     unit_cost_cents=round(line.total_cents / quantity)))
    known = deps.products(tenant_id, list(field_of)) if field_of else {}
    errors += [FieldError(field, "no product has this SKU") for sku, field in field_of.items() if sku not in known]
    if errors:
        raise InvalidRequestError("The acceptance is not valid.", errors)
    return accepted


def accept_invoice(tenant_id: str, invoice_id: str, cmd: AcceptCommand, deps: PurchasingDeps) -> InboundInvoice:
    """`POST /v1/inbound-invoices/{id}/accept`: every line gets its SKU (400 naming lines.N.sku) and a whole
    quantity in the tenant's units (lines.N.factor); the purchase order must be this supplier's and still
    expecting goods. One transaction makes the invoice `accepted` with its plan and emits
    `inbound_invoice.accepted`; the purchasing consumer then does each step once (stock, payables, the
    purchase order, what was learned, the MD-e confirmation) and the ledger books it. Twice is 409."""
    invoice = deps.repo.get_invoice(tenant_id, invoice_id)
    next_invoice_status(invoice.status, "accept")
    lines = _accepted_lines(tenant_id, invoice, cmd, deps)
    order = None
    if cmd.purchase_order_id is not None:
        from chalicelib.platform.errors import naming

        with naming("purchase_order_id"):
            order = deps.repo.get_order(tenant_id, cmd.purchase_order_id)
        if order.supplier_id != invoice.supplier_id:
            raise InvalidRequestError("The purchase order is another supplier's.",
                                      [FieldError("purchase_order_id", f"is {order.supplier_id}'s")])
        next_order_status(order.status, "receive_part")
    warehouse = cmd.warehouse or (order.warehouse if order else "main")
    if warehouse != "main" and not deps.warehouse_exists(tenant_id, warehouse):
        raise InvalidRequestError("Unknown warehouse.", [FieldError("warehouse", "is not a registered warehouse")])
    if len(invoice.installments) > MAX_INSTALLMENTS:
        raise InvalidRequestError("Too many installments.", [FieldError(
            "installments", f"the NF-e has {len(invoice.installments)}; at most {MAX_INSTALLMENTS} are taken")])
    recoverable = {"icms": invoice.totals.icms_cents} if deps.tenant_regime(tenant_id) == "regime_normal" else {}
    books = {"payable_cents": invoice.totals.total_cents, "recoverable": recoverable}

    return _transition(tenant_id, invoice_id, "accept", lambda now: {
        "acceptance": Acceptance(warehouse=warehouse, purchase_order_id=order.id if order else None, lines=lines,
                                 books=books, accepted_at=now)}, "inbound_invoice.accepted", _accepted_event, deps)


def _transition(tenant_id: str, invoice_id: str, action: str, changes: Callable[[str], dict[str, Any]],
                event_type: str, event_data: Callable[[InboundInvoice], dict[str, Any]],
                deps: PurchasingDeps) -> InboundInvoice:
    """An inbound invoice's state change (`action` in the table) with its event, under its version."""
    def attempt() -> InboundInvoice:
        current = deps.repo.get_invoice(tenant_id, invoice_id)
        now = rfc3339(deps.clock.now())
        updated = current.model_copy(update={
            "status": next_invoice_status(current.status, action), **changes(now),
            "updated_at": now, "version": current.version + 1})
        uow = UnitOfWork()
        deps.repo.stage_invoice_update(uow, tenant_id, updated, current.version, on_fail=_lost)
        stage_event(uow, deps.events.make(tenant_id, event_type, event_data(updated)))
        uow.commit()
        return updated

    return retry_lost_races(attempt, retry_on=(_LostRace,), attempts=10, what="inbound invoice")


def _accepted_event(invoice: InboundInvoice) -> dict[str, Any]:
    data = inbound_event_data(invoice)
    assert invoice.acceptance is not None
    data["inbound_invoice"] |= {"books": invoice.acceptance.books, "accepted_at": invoice.acceptance.accepted_at}
    return data


def steps(invoice: InboundInvoice) -> list[str]:
    """The saga's steps for an accepted invoice, in order."""
    assert invoice.acceptance is not None
    chunks = range(0, len(invoice.acceptance.lines), STOCK_CHUNK)
    return [*(f"stock:{n // STOCK_CHUNK}" for n in chunks), "payables", "purchase_order", "learned", "sources",
            "manifest"]


def advance(tenant_id: str, invoice_id: str, deps: PurchasingDeps) -> InboundInvoice:
    """Do the accepted invoice's steps not done yet, each in one transaction with its mark (so a redelivery
    or a crash in between redoes nothing and loses nothing)."""
    invoice = deps.repo.get_invoice(tenant_id, invoice_id)
    if invoice.acceptance is None:
        return invoice
    from chalicelib.stock.service import StockChangedError

    for step in steps(invoice):
        invoice = retry_lost_races(partial(_step, tenant_id, invoice_id, step, deps),
                                   retry_on=(_LostRace, StockChangedError), attempts=12, what="inbound invoice")
    return invoice


def _step(tenant_id: str, invoice_id: str, step: str, deps: PurchasingDeps) -> InboundInvoice:
    invoice = deps.repo.get_invoice(tenant_id, invoice_id)
    acceptance = invoice.acceptance
    assert acceptance is not None
    if step in acceptance.steps_done:
        return invoice
    now = rfc3339(deps.clock.now())
    uow = UnitOfWork()
    changes: dict[str, Any] = {}
    notes: list[str] = []
    if step.startswith("stock:"):
        n = int(step.partition(":")[2])
        chunk = acceptance.lines[n * STOCK_CHUNK:(n + 1) * STOCK_CHUNK]
        deps.stage_receipts(uow, tenant_id, [(line.sku, line.quantity, acceptance.warehouse) for line in chunk],
                            invoice.id, f"NF-e {invoice.number} de {invoice.emitter.name}"[:120])
    elif step == "payables":
        bills = deps.stage_payables(uow, tenant_id, invoice.id, invoice.supplier_id,
                                    f"NF-e {invoice.number}/{invoice.series}", invoice.installments)
        changes["payable_ids"] = [bill_id for bill_id in bills]
    elif step == "purchase_order" and acceptance.purchase_order_id:
        notes += _stage_receipt_on_order(uow, tenant_id, invoice, acceptance, deps)
    elif step == "learned":
        for line, accepted in _learned_pairs(invoice, acceptance):
            deps.repo.stage_learned(uow, tenant_id, invoice.supplier_id, line.supplier_code, accepted.sku,
                                    accepted.factor)
    elif step == "sources":
        last: dict[str, AcceptedLine] = {line.sku: line for line in acceptance.lines}
        for accepted in list(last.values())[:90]:
            deps.repo.stage_source(uow, tenant_id, accepted.sku, invoice.supplier_id, accepted.unit_cost_cents, now)
    elif step == "manifest":
        changes["manifestation"] = _manifest(tenant_id, invoice, "210200", None, deps)
    updated = invoice.model_copy(update={
        "acceptance": acceptance.model_copy(update={"steps_done": [*acceptance.steps_done, step],
                                                    "notes": [*acceptance.notes, *notes],
                                                    **{k: v for k, v in changes.items() if k == "payable_ids"}}),
        **{k: v for k, v in changes.items() if k != "payable_ids"},
        "updated_at": now, "version": invoice.version + 1})
    deps.repo.stage_invoice_update(uow, tenant_id, updated, invoice.version, on_fail=_lost)
    uow.commit()
    return updated


def _learned_pairs(invoice: InboundInvoice, acceptance: Acceptance) -> list[tuple[InboundLine, AcceptedLine]]:
    by_item = {line.item: line for line in invoice.lines}
    latest: dict[str, tuple[InboundLine, AcceptedLine]] = {}
    for accepted in acceptance.lines:  # one mapping per supplier code (the last line of it wins)
        line = by_item[accepted.item]
        latest[line.supplier_code] = (line, accepted)
    return list(latest.values())[:90]


def _stage_receipt_on_order(uow: UnitOfWork, tenant_id: str, invoice: InboundInvoice, acceptance: Acceptance,
                            deps: PurchasingDeps) -> list[str]:
    from chalicelib.platform.errors import InvalidStateError

    assert acceptance.purchase_order_id is not None
    order = deps.repo.get_order(tenant_id, acceptance.purchase_order_id)
    received: dict[str, int] = {}
    for line in acceptance.lines:
        received[line.sku] = received.get(line.sku, 0) + line.quantity
    try:
        updated = receive(order, received)
    except InvalidStateError:
        return [f"purchase order {order.id} is {order.status}: its quantities were not updated"]
    updated = updated.model_copy(update={"inbound_invoice_ids": [*order.inbound_invoice_ids, invoice.id],
                                         "updated_at": rfc3339(deps.clock.now()), "version": order.version + 1})
    deps.repo.stage_order_update(uow, tenant_id, updated, order.version, on_fail=_lost)
    stage_event(uow, deps.events.make(tenant_id, "purchase_order.received", {
        "purchase_order": public(updated), "inbound_invoice_id": invoice.id}))
    others = sorted(set(received) - {line.sku for line in order.lines})
    return [f"{', '.join(others)} not on purchase order {order.id}"] if others else []


def _manifest(tenant_id: str, invoice: InboundInvoice, event_type: str, justification: str | None,
              deps: PurchasingDeps) -> Manifestation:
    """The recipient's MD-e event through the fiscal authority port (503 when it is down: retried)."""
    answer = deps.manifest(tenant_id, invoice.access_key, event_type, justification)
    registered = answer.cstat in REGISTERED or answer.cstat == REPEATED
    return Manifestation(event_type=event_type, status="registered" if registered else "refused",
                         cstat=answer.cstat, reason=answer.reason, protocol=answer.protocol,
                         at=rfc3339(deps.clock.now()))


def handle_accepted(event: Any, deps: PurchasingDeps) -> None:
    """The purchasing queue's `inbound_invoice.accepted`: the invoice's steps, each once."""
    advance(event.tenant_id, event.data["inbound_invoice"]["id"], deps)


def reject_invoice(tenant_id: str, invoice_id: str, reason: str, unknown: bool, deps: PurchasingDeps) -> InboundInvoice:
    """`POST /v1/inbound-invoices/{id}/reject`: MD-e 210240 (operação não realizada, with the reason) or
    210220 (desconhecimento) first; the invoice becomes `rejected` once the authority registered it (a
    repeat, 573, counts as registered). A refusal by the authority is 409 with its reason."""
    from chalicelib.platform.errors import InvalidStateError

    invoice = deps.repo.get_invoice(tenant_id, invoice_id)
    next_invoice_status(invoice.status, "reject")
    event_type = "210220" if unknown else "210240"
    manifestation = _manifest(tenant_id, invoice, event_type, reason, deps)
    if manifestation.status != "registered":
        raise InvalidStateError(f"The fiscal authority refused the manifestation: {manifestation.cstat} "
                                f"{manifestation.reason}", [FieldError("status", f"cStat {manifestation.cstat}")])

    return _transition(tenant_id, invoice_id, "reject", lambda now: {
        "rejection": Rejection(reason=reason, event_type=event_type, rejected_at=now),
        "manifestation": manifestation}, "inbound_invoice.rejected", inbound_event_data, deps)


# The DF-e inbox: documents addressed to the tenant, from the fiscal authority's distribution
MAX_CALLS = 20  # a run's queries at most (50 documents each); the next run goes on from ultNSU
LEASE = 300  # seconds one sync holds its root's cursor
AWARENESS = "210210"


@dataclass(frozen=True)
class SyncResult:
    cstat: str
    reason: str
    queries: int
    documents: int
    received: int
    summaries: int
    last_nsu: str
    max_nsu: str
    next_query_at: str | None


def sync_inbox(tenant_id: str, deps: PurchasingDeps) -> SyncResult:
    """`POST /v1/inbound-invoices/sync` and the hourly schedule: continue the tenant's CNPJ root from its
    last NSU until nothing is new; never ask while the hour after 137, `ultNSU == maxNSU` or 656 runs (429
    `rate_limited` with Retry-After, no query made); summaries get the automatic ciência (210210), full
    documents are taken in as uploads are (deduplicated by access key)."""
    from datetime import datetime, timedelta

    from chalicelib.platform.config import get_settings
    from chalicelib.platform.errors import RateLimitedError

    now = deps.clock.now()
    root = deps.tenant_document(tenant_id)[:8]
    cursor = deps.repo.cursor(tenant_id, root)
    for limit in (cursor.next_query_at, cursor.leased_until):
        if limit and now < datetime.fromisoformat(limit):
            wait = int((datetime.fromisoformat(limit) - now).total_seconds()) + 1
            raise RateLimitedError(f"The fiscal authority allows the next query at {limit} (NT 2014.002: an hour "
                                   "after nothing new).", headers={"Retry-After": str(wait)})
    leased = cursor.model_copy(update={"leased_until": rfc3339(now + timedelta(seconds=LEASE)),
                                       "version": cursor.version + 1})
    if not deps.repo.save_cursor(tenant_id, leased, cursor.version):
        raise RateLimitedError("A sync of this CNPJ is under way.", headers={"Retry-After": "30"})
    cursor, counts, answer = leased, {"documents": 0, "received": 0, "summaries": 0}, None
    queries = 0
    try:
        while queries < MAX_CALLS:
            queries += 1
            answer = deps.distribute(tenant_id, cursor.last_nsu)
            at = rfc3339(deps.clock.now())
            update: dict[str, Any] = {"last_cstat": answer.cstat, "last_query_at": at}
            if answer.cstat == "138":
                for document in answer.documents:
                    _take(tenant_id, document, counts, deps)
                update |= {"last_nsu": answer.last_nsu, "max_nsu": answer.max_nsu,
                           "gaps": (cursor.gaps + gaps_in(cursor.last_nsu, answer.documents))[-MAX_GAPS:]}
            elif answer.last_nsu:  # 137 and 656 say where the sequence is: adopt it (OCA's l10n_br_fiscal_dfe)
                update |= {"last_nsu": max(answer.last_nsu, cursor.last_nsu), "max_nsu": answer.max_nsu or cursor.max_nsu}
            done = answer.cstat != "138" or not answer.documents or answer.last_nsu >= answer.max_nsu
            if done:
                wait = get_settings().dfe_wait_seconds  # the hour after 137, ultNSU == maxNSU or 656 (NT 2014.002)
                update["next_query_at"] = rfc3339(deps.clock.now() + timedelta(seconds=wait))
            cursor = _saved(tenant_id, cursor, update, deps)
            if done:
                break
        if answer is not None and answer.cstat != "656":
            cursor = _fill_gaps(tenant_id, cursor, counts, deps)
    finally:
        _saved(tenant_id, cursor, {"leased_until": None}, deps)
    _ciencia_pending(tenant_id, deps)
    assert answer is not None
    final = deps.repo.cursor(tenant_id, root)
    return SyncResult(cstat=answer.cstat, reason=answer.reason, queries=queries, last_nsu=final.last_nsu,
                      max_nsu=final.max_nsu, next_query_at=final.next_query_at, **counts)


MAX_GAPS = 100
SINGLE_PER_HOUR = 20  # consNSU queries an hour (NT 2014.002)


def gaps_in(last_nsu: str, documents: list[Any]) -> list[str]:
    """The NSUs a page skipped: after `last_nsu`, before each document's."""
    missing, expected = [], int(last_nsu or 0) + 1
    for document in documents:
        number = int(document.nsu)
        missing += [f"{n:015d}" for n in range(expected, min(number, expected + MAX_GAPS))]
        expected = max(expected, number + 1)
    return missing


def _fill_gaps(tenant_id: str, cursor: DfeCursor, counts: dict[str, int], deps: PurchasingDeps) -> DfeCursor:
    """Ask for each skipped NSU by itself (consNSU), at most 20 an hour; a 656 stops and waits the hour."""
    from datetime import timedelta

    from chalicelib.platform.config import get_settings

    hour = deps.clock.now().strftime("%Y-%m-%dT%H")
    used = cursor.single_count if cursor.single_hour == hour else 0
    gaps = list(cursor.gaps)
    for gap in list(gaps):
        if used >= SINGLE_PER_HOUR:
            break
        used += 1
        answer = deps.distribute_one(tenant_id, gap)
        if answer.cstat == "656":
            wait = get_settings().dfe_wait_seconds
            return _saved(tenant_id, cursor, {"gaps": gaps, "single_hour": hour, "single_count": used,
                                              "next_query_at": rfc3339(deps.clock.now() + timedelta(seconds=wait))},
                          deps)
        for document in answer.documents:
            _take(tenant_id, document, counts, deps)
        gaps.remove(gap)  # found, or nothing there for this root (137)
    return _saved(tenant_id, cursor, {"gaps": gaps, "single_hour": hour, "single_count": used}, deps)


def _saved(tenant_id: str, cursor: DfeCursor, update: dict[str, Any], deps: PurchasingDeps) -> DfeCursor:
    moved = cursor.model_copy(update={**update, "version": cursor.version + 1})
    if not deps.repo.save_cursor(tenant_id, moved, cursor.version):
        raise ConflictError("The DF-e cursor moved under this sync; retry.")
    return moved


def _take(tenant_id: str, document: Any, counts: dict[str, int], deps: PurchasingDeps) -> None:
    """One distributed document: a summary (resNFe) becomes an inbound invoice in `summary`; a full one
    (procNFe) is taken in like an upload; events (resEvento, procEventoNFe) are not kept yet. A document
    that cannot be read is logged and skipped: it never stops the sequence."""
    from chalicelib.platform.observability import logger

    counts["documents"] += 1
    try:
        if document.kind == "resNFe":
            if _receive_summary(tenant_id, document.xml, deps):
                counts["summaries"] += 1
        elif document.kind in ("procNFe", "nfeProc"):
            if receive_invoice(tenant_id, document.xml, deps, source="dfe").created:
                counts["received"] += 1
    except Exception as exc:  # noqa: BLE001 - one unreadable document never stops the sequence
        logger.warning("a distributed document was not taken in", extra={
            "nsu": document.nsu, "schema": document.schema, "error": getattr(exc, "detail", str(exc))[:300]})


def _receive_summary(tenant_id: str, xml: bytes, deps: PurchasingDeps) -> bool:
    from chalicelib.invoicing.chave import parse_chave
    from chalicelib.invoicing.dfe import read_summary

    fields = read_summary(xml)
    access_key = fields.get("chNFe", "")
    if deps.repo.invoice_id_by_access_key(tenant_id, access_key) is not None or fields.get("cSitNFe") != "1":
        return False  # known already, or denied/cancelled: nothing to take in
    key = parse_chave(access_key)
    emitter = Emitter(document=fields.get("CNPJ") or fields.get("CPF", ""), name=fields.get("xNome", "")[:60] or "?",
                      state_registration=fields.get("IE") or None)
    now = rfc3339(deps.clock.now())
    from chalicelib.purchasing.model import InboundTotals

    total = nfe_in.cents(fields.get("vNF"), "vNF")
    invoice = InboundInvoice(
        id=deps.ids.new("nfi"), access_key=access_key, number=int(key.nnf), series=int(key.serie), model=key.mod,
        environment="producao" if deps.tenant_environment(tenant_id) == "producao" else "homologacao",
        issued_at=fields.get("dhEmi", now), supplier_id=_supplier_for(tenant_id, emitter, deps), emitter=emitter,
        nature="", lines=[], totals=InboundTotals(products_cents=0, total_cents=total), installments=[],
        installments_stated=False, authorization_protocol=fields.get("nProt") or None, status="summary",
        source="dfe", received_at=now, updated_at=now)
    uow = UnitOfWork()
    deps.repo.stage_new_invoice(uow, tenant_id, invoice, on_duplicate=_duplicate)
    stage_event(uow, deps.events.make(tenant_id, "inbound_invoice.summary", inbound_event_data(invoice)))
    try:
        uow.commit()
    except _Duplicate:
        return False
    return True


def _ciencia_pending(tenant_id: str, deps: PurchasingDeps) -> None:
    """Every summary without a registered ciência gets one (210210), so its full document comes next."""
    from chalicelib.platform.pagination import every

    for invoice in list(every(lambda cursor: deps.repo.list_invoices(tenant_id, "summary", None, 100, cursor))):
        if invoice.manifestation is not None and invoice.manifestation.status == "registered":
            continue
        manifestation = _manifest(tenant_id, invoice, AWARENESS, None, deps)

        def attempt(invoice_id: str = invoice.id, m: Manifestation = manifestation) -> InboundInvoice:
            current = deps.repo.get_invoice(tenant_id, invoice_id)
            updated = current.model_copy(update={"manifestation": m, "version": current.version + 1})
            uow = UnitOfWork()
            deps.repo.stage_invoice_update(uow, tenant_id, updated, current.version, on_fail=_lost)
            uow.commit()
            return updated

        retry_lost_races(attempt, retry_on=(_LostRace,), attempts=10, what="inbound invoice")


def run_hourly(deps: PurchasingDeps) -> dict[str, int]:
    """The hourly schedule: each tenant's inbox synced when its cursor allows (the others are skipped, no
    query made); one tenant's failure does not stop the others."""
    from chalicelib.platform.errors import RateLimitedError
    from chalicelib.platform.observability import logger

    counts = {"synced": 0, "waiting": 0, "failed": 0}
    for tenant_id in deps.tenant_ids():
        try:
            sync_inbox(tenant_id, deps)
            counts["synced"] += 1
        except RateLimitedError:
            counts["waiting"] += 1
        except AppError as exc:
            counts["failed"] += 1
            logger.warning("a tenant's DF-e sync failed", extra={"tenant_id": tenant_id, "error": exc.detail})
    return counts


def sandbox_deposit(tenant_id: str, raw: bytes, deps: PurchasingDeps) -> dict[str, str]:
    """`POST /v1/sandbox/inbound-invoices`: a supplier's NF-e, checked like an upload and addressed to the
    tenant, put at the local fiscal authority for the next sync."""
    _addressed_to_tenant(tenant_id, nfe_in.read(raw), deps)
    access_key, nsu = deps.deposit(tenant_id, raw)
    return {"access_key": access_key, "nsu": nsu or None}  # type: ignore[dict-item]


# Reorder suggestions
LOOKBACK_DAYS = 30
DEFAULT_LEAD_TIME_DAYS = 7  # a supplier with no lead time stated
COVER_DAYS = 30  # a suggestion buys this many days of sales beyond the lead time


@dataclass(frozen=True)
class Suggestion:
    sku: str
    name: str
    available: int
    min_stock: int
    on_order: int
    daily_sales: float
    days_of_cover: float | None
    supplier_id: str | None
    lead_time_days: int
    reason: str
    suggested_quantity: int
    unit_cost_cents: int | None


def suggestions(tenant_id: str, deps: PurchasingDeps) -> list[Suggestion]:
    """`GET /v1/purchasing/suggestions`: the SKUs to reorder, most urgent first. A SKU is suggested when what
    it has and has on order (open purchase orders) is below its `min_stock`, or would run out within its
    supplier's lead time at the last 30 days' shipments; the quantity covers the lead time and 30 more days
    of sales on top of `min_stock`, less what it has and has on order."""
    from datetime import timedelta

    from chalicelib.platform.pagination import every

    now = deps.clock.now()
    since = now - timedelta(days=LOOKBACK_DAYS)
    products = list(deps.all_products(tenant_id))
    levels = deps.levels(tenant_id, [p.sku for p in products])
    on_order: dict[str, int] = {}
    for status in ("open", "partially_received"):
        for order in every(partial(_orders_page, tenant_id, status, deps)):
            for line in order.lines:
                on_order[line.sku] = on_order.get(line.sku, 0) + max(0, line.quantity - line.received_quantity)
    sources = deps.repo.sources(tenant_id, [p.sku for p in products])
    lead_times: dict[str, int] = {}
    out = []
    for product in products:
        available = levels.get(product.sku, 0)
        coming = on_order.get(product.sku, 0)
        shipped = deps.shipped_since(tenant_id, product.sku, since)
        daily = shipped / LOOKBACK_DAYS
        source = sources.get(product.sku)
        supplier_id = source[0] if source else None
        if supplier_id and supplier_id not in lead_times:
            lead_times[supplier_id] = deps.lead_time(tenant_id, supplier_id) or DEFAULT_LEAD_TIME_DAYS
        lead = lead_times.get(supplier_id, DEFAULT_LEAD_TIME_DAYS) if supplier_id else DEFAULT_LEAD_TIME_DAYS
        position = available + coming
        cover = position / daily if daily > 0 else None
        if position < product.min_stock:
            reason = "below_min_stock"
        elif cover is not None and cover < lead:
            reason = "runs_out_within_lead_time"
        else:
            continue
        target = product.min_stock + math.ceil(daily * (lead + COVER_DAYS))
        out.append(Suggestion(
            sku=product.sku, name=product.name, available=available, min_stock=product.min_stock, on_order=coming,
            daily_sales=round(daily, 3), days_of_cover=round(cover, 1) if cover is not None else None,
            supplier_id=supplier_id, lead_time_days=lead, reason=reason,
            suggested_quantity=max(1, target - position), unit_cost_cents=source[1] if source else None))
    return sorted(out, key=lambda s: (s.days_of_cover if s.days_of_cover is not None else -1.0, s.sku))


def _orders_page(tenant_id: str, status: str, deps: PurchasingDeps, cursor: str | None) -> Page[PurchaseOrder]:
    return deps.repo.list_orders(tenant_id, status, None, 100, cursor)
