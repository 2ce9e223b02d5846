"""Use cases of the invoicing context: emit (number, build, sign, validate, store, authorize),
cancel, correct and void numbers.

Numbering: the invoice item, the série counter and the order's claim are written in one
transaction, so a number is never used twice and never consumed without an invoice holding
it; a rejected NF-e keeps its number for resubmission, and numbers can be voided. The
authority is called only after the signed XML is stored, so nothing is lost if it is down:
the invoice stays `pending` and the emission is retried (SQS backoff, then the DLQ, then a
re-drive with `POST /v1/invoices`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal, cast

from chalicelib.brazil.taxes import SIMPLES_REGIMES
from chalicelib.invoicing import codes
from chalicelib.invoicing import nfe_input as nfe
from chalicelib.invoicing.authority import AuthorityAnswer, AuthorityUnavailableError, FiscalAuthority
from chalicelib.invoicing.certificates import CertificateStore, signing_key_for
from chalicelib.invoicing.chave import generate_cnf
from chalicelib.invoicing.documents import DocumentStore
from chalicelib.invoicing.model import (
    EMISSION_LEASE,
    MAX_NUMBER,
    AuthorityRefusedError,
    Correction,
    InvoiceDoc,
    InvoiceTotals,
    NumbersInUseError,
    check_cancellable,
    check_correctable,
    consolidated_text,
    next_status,
    public,
    status_of_answer,
)
from chalicelib.invoicing.nfe_xml import build_nfe
from chalicelib.invoicing.proc import build_nfe_proc
from chalicelib.invoicing.repository import DynamoInvoiceRepository, NumberTakenError
from chalicelib.invoicing.signing import sign_nfe
from chalicelib.invoicing.xsd import validate_nfe
from chalicelib.platform.clock import SAO_PAULO, Clock, rfc3339
from chalicelib.platform.errors import AppError, ConflictError, FieldError, InvalidRequestError, InvalidStateError, naming
from chalicelib.platform.events import EventFactory
from chalicelib.platform.ids import IdGenerator

if TYPE_CHECKING:  # upstream contexts' models, read through the ports of InvoicingDeps
    from chalicelib.catalog.model import Customer, Product
    from chalicelib.orders.model import Order
    from chalicelib.tenants.model import Tenant

NUMBERING_ATTEMPTS = 20


@dataclass(frozen=True)
class InvoicingDeps:
    repo: DynamoInvoiceRepository
    ids: IdGenerator
    clock: Clock
    events: EventFactory
    authority: Callable[[Tenant], FiscalAuthority]  # tenant -> its authority (local or SEFAZ)
    documents: DocumentStore
    certificates: CertificateStore
    tenant: Callable[[str], Tenant]  # upstream contexts' readers (NotFoundError)
    order: Callable[[str, str], Order]
    customer: Callable[[str, str], Customer]
    products: Callable[[str, list[str]], dict[str, Product]]  # those that exist, by SKU
    meter: Callable[[str, str], None]  # (tenant, counter): count one now; never raises


def _event_data(invoice: InvoiceDoc) -> dict[str, Any]:
    return {"invoice": public(invoice)}


def _environment(tenant: Any) -> Literal["homologacao", "producao"]:
    return cast(Literal["homologacao", "producao"], str(tenant.settings.invoicing.environment))


# Mapping the platform's tenant, customer, products and order into the NF-e input model
def _address(a: Any) -> nfe.Address:
    return nfe.Address(street=a.street, number=a.number, district=a.district, city_code=a.city_code,
                       city_name=a.city, uf=a.state, cep=a.zip, complement=a.complement)


# TaxRules (the API's names) -> the NF-e model's TaxProfile fields.
_TAX_FIELDS = {"csosn": "csosn", "simples_credit_percent": "p_cred_sn", "icms_cst": "icms_cst",
               "icms_percent": "icms_rate", "icms_interstate_percent": "icms_interstate_rate",
               "icms_destination_percent": "icms_dest_rate", "pis_cst": "pis_cst", "pis_percent": "pis_rate",
               "cofins_cst": "cofins_cst", "cofins_percent": "cofins_rate"}


def tax_profile(tax_regime: str, issuer_uf: str, *levels: Any, destination_uf: str | None = None,
                goods_origin: int = 0) -> nfe.TaxProfile:
    """The regime's default tax profile with each level's rules (TaxRules: the tenant's, then a product's)
    laid over it. Defaults: Simples Nacional CSOSN 102 with PIS/COFINS 49; regime normal ICMS CST 00 at the
    issuer's internal rate, the interstate rate of the two UFs and the goods' origin (4, 7 or 12 %), the
    destination's internal rate for the DIFAL (`icms_rates`), and PIS/COFINS non-cumulative (1.65% / 7.6%)."""
    from chalicelib.invoicing.icms_rates import internal_rate, interstate_rate

    destination = destination_uf or issuer_uf
    if tax_regime in SIMPLES_REGIMES:
        profile = nfe.TaxProfile(csosn="102", pis_cst="49", cofins_cst="49")
    else:
        profile = nfe.TaxProfile(csosn=None, icms_cst="00", icms_rate=internal_rate(issuer_uf),
                                 icms_interstate_rate=interstate_rate(issuer_uf, destination, goods_origin),
                                 icms_dest_rate=internal_rate(destination), pis_cst="01", pis_rate=Decimal("1.65"),
                                 cofins_cst="01", cofins_rate=Decimal("7.6"), ibscbs=nfe.default_ibscbs(tax_regime))
    for level in levels:
        if level is not None:
            profile = replace(profile, **{_TAX_FIELDS[name]: value for name, value in level.overrides().items()})
    return profile


def _line_tax(tenant: Any, product: Any, destination_uf: str) -> nfe.TaxProfile | None:
    """A line's own profile when it differs from the invoice's: the product has tax rules, or (regime normal)
    imported goods, whose interstate rate is 4 %. None: the invoice's profile."""
    from chalicelib.invoicing.icms_rates import IMPORTED_ORIGINS

    imported = tenant.tax_regime not in SIMPLES_REGIMES and product.origin in IMPORTED_ORIGINS
    if product.tax is None and not imported:
        return None
    return tax_profile(tenant.tax_regime, tenant.address.state, tenant.settings.invoicing.tax, product.tax,
                       destination_uf=destination_uf, goods_origin=product.origin)


def _taxpayer(customer: Any) -> dict[str, Any]:
    """indIEDest and IE of the recipient: a company with an IE is a taxpayer (1, its IE); one registered as
    "ISENTO" is an exempt taxpayer (2, no IE tag: the XSD takes digits only); anyone else is not (9)."""
    registration = getattr(customer, "state_registration", None)
    if len(customer.document) != 14 or not registration:
        return {"ind_ie_dest": "9", "ie": None}
    if registration.upper() == "ISENTO":
        return {"ind_ie_dest": "2", "ie": None}
    return {"ind_ie_dest": "1", "ie": registration}


def build_input(tenant: Any, order: Any, customer: Any, products: dict[str, Any], invoice: InvoiceDoc) -> nfe.Invoice:
    from chalicelib.orders.installments import plan_installments

    issued_at = datetime.fromisoformat(invoice.issued_at.replace("Z", "+00:00")).astimezone(SAO_PAULO)
    ordered_on = datetime.fromisoformat(order.created_at.replace("Z", "+00:00")).astimezone(SAO_PAULO).date()
    plan = plan_installments(order.total_cents, order.payment.installments, ordered_on, order.payment.first_due_in_days)
    issuer = nfe.Issuer(cnpj=tenant.cnpj, ie=tenant.state_registration, legal_name=tenant.legal_name,
                        trade_name=tenant.name, address=_address(tenant.address), tax_regime=tenant.tax_regime)
    recipient = nfe.Recipient(document=customer.document, name=customer.name, address=_address(customer.address),
                              email=customer.email, **_taxpayer(customer))
    items = tuple(nfe.Item(sku=line.sku, name=products[line.sku].name, ncm=products[line.sku].ncm,
                           cfop=products[line.sku].cfop, unit=products[line.sku].unit, quantity=line.quantity,
                           unit_price_cents=line.unit_price_cents, gtin=products[line.sku].gtin or "SEM GTIN",
                           origin=products[line.sku].origin,
                           tax=_line_tax(tenant, products[line.sku], customer.address.state))
                  for line in order.lines)
    payment = nfe.Payment(method=order.payment.method, installments=tuple(
        nfe.Installment(due_date=i.due_date, amount_cents=i.amount_cents) for i in plan))
    return nfe.Invoice(issuer=issuer, recipient=recipient, items=items,
                       tax=tax_profile(tenant.tax_regime, tenant.address.state, tenant.settings.invoicing.tax,
                                       destination_uf=customer.address.state), payment=payment,
                       serie=invoice.series, nnf=invoice.number, cnf=invoice.cnf, issued_at=issued_at,
                       tp_amb="1" if invoice.environment == "producao" else "2",
                       shipping_cents=order.shipping_cents, additional_info=f"Pedido {order.id}")


def emit_invoice(tenant_id: str, order_id: str, deps: InvoicingDeps) -> InvoiceDoc:
    """One NF-e per order: number it (once), then build, sign, validate, store and authorize it.

    Idempotent: an order's invoice is created once; calling again re-sends a `pending` one or
    resubmits a `rejected` one with the same number, and returns a final one as it is."""
    tenant = deps.tenant(tenant_id)
    with naming("order_id"):
        order = deps.order(tenant_id, order_id)
    invoice = deps.repo.find_by_order(tenant_id, order_id)
    if invoice is None:
        if order.status == "cancelled":
            raise InvalidStateError(f"Order {order_id} is cancelled.", [FieldError("order_id", "is cancelled")])
        invoice = _numbered(tenant_id, tenant, order, deps)
    if invoice.status == "rejected":
        if order.status == "cancelled":  # never resubmit (nor renumber) the NF-e of a cancelled sale
            raise InvalidStateError(f"Order {order_id} is cancelled: its rejected NF-e is not resubmitted.",
                                    [FieldError("order_id", "is cancelled")])
        if invoice.number_voided:
            invoice = _renumbered(tenant_id, invoice, deps)
        invoice = invoice.model_copy(update={"status": next_status("rejected", "resubmit"),
                                             "issued_at": rfc3339(deps.clock.now())})
    if invoice.status != "pending":
        return invoice
    emitted = _process(tenant_id, tenant, order, invoice, deps)
    if emitted.status == "authorized" and deps.order(tenant_id, order_id).status == "cancelled":
        # A pending NF-e (sent before an outage) authorized after its order was cancelled: cancel it too,
        # so no authorized NF-e is left for a cancelled sale (order.cancelled found it still pending).
        emitted = cancel_invoice(tenant_id, emitted.id, f"Pedido {order_id} cancelado antes da autorizacao da NF-e",
                                 deps)
    return emitted


def _numbered(tenant_id: str, tenant: Any, order: Any, deps: InvoicingDeps) -> InvoiceDoc:
    series = tenant.settings.invoicing.series
    for _ in range(NUMBERING_ATTEMPTS):
        seen = deps.repo.numbering(tenant_id, series)
        number = _usable(seen, series)
        invoice = InvoiceDoc(id=deps.ids.new("inv"), order_id=order.id, series=series, number=number,
                             cnf=generate_cnf(number), environment=_environment(tenant),
                             issued_at=rfc3339(deps.clock.now()))
        try:
            deps.repo.create_numbered(tenant_id, invoice, seen)
            return invoice
        except NumberTakenError:
            continue
        except ConflictError:
            existing = deps.repo.find_by_order(tenant_id, order.id)
            if existing is not None:
                return existing
            raise
    raise ConflictError("Numbering is busy; retry.")


def _usable(seen: Any, series: int) -> int:
    number = int(seen.first_usable)
    if number > MAX_NUMBER:
        raise InvalidStateError(f"Série {series} has no numbers left; set another série in the invoicing settings.",
                                [FieldError("series", "has no numbers left")])
    return number


def _renumbered(tenant_id: str, invoice: InvoiceDoc, deps: InvoicingDeps) -> InvoiceDoc:
    """A rejected NF-e whose number was voided takes the série's next number (and a new chave)."""
    for _ in range(NUMBERING_ATTEMPTS):
        seen = deps.repo.numbering(tenant_id, invoice.series)
        number = _usable(seen, invoice.series)
        renumbered = invoice.model_copy(update={
            "number": number, "cnf": generate_cnf(number), "access_key": None, "number_voided": False,
            "voided_numbers": [*invoice.voided_numbers, invoice.number], "version": invoice.version + 1})
        try:
            deps.repo.renumber(tenant_id, renumbered, invoice.version, seen)
            return renumbered
        except NumberTakenError:
            continue
    raise ConflictError("Numbering is busy; retry.")


def _process(tenant_id: str, tenant: Any, order: Any, invoice: InvoiceDoc, deps: InvoicingDeps) -> InvoiceDoc:
    """One emission attempt: take the lease, build and sign the document, send it, keep what comes back."""
    claimed, current = _lease(tenant_id, invoice, deps)
    if claimed is None:
        return current  # another worker holds the emission: it finishes it
    invoice, expected_version = claimed, claimed.version
    try:
        built, signed = _signed_document(tenant_id, tenant, order, invoice, deps)
    except AppError as exc:
        reason = "; ".join(f"{e.field}: {e.message}" for e in exc.errors) or exc.detail
        return _finish(tenant_id, invoice, expected_version, deps, status="rejected", status_code=None,
                       status_reason=f"Not sent: {reason}"[:500])
    totals = InvoiceTotals(products_cents=built.totals.vprod, shipping_cents=built.totals.vfrete,
                           total_cents=built.totals.vnf, icms_cents=built.totals.vicms, pis_cents=built.totals.vpis,
                           cofins_cents=built.totals.vcofins, icms_uf_dest_cents=built.totals.vicms_uf_dest)
    invoice = invoice.model_copy(update={"access_key": built.chave, "totals": totals})
    deps.documents.put(tenant_id, invoice.id, "nfe.xml", signed, "application/xml")  # stored before it is sent
    try:
        answer = _authorized(deps.authority(tenant), signed, invoice.environment)
    except AuthorityUnavailableError:
        released = invoice.model_copy(update={"processing_until": None, "version": expected_version + 1})
        deps.repo.save(tenant_id, released, expected_version, [])
        raise
    if answer.cstat in codes.AUTHORIZED and answer.prot_nfe is not None:
        deps.documents.put(tenant_id, invoice.id, "nfe-proc.xml", build_nfe_proc(signed, answer.prot_nfe),
                           "application/xml")
        deps.meter(tenant_id, "storage_items")
    return _finish(tenant_id, invoice, expected_version, deps, answer=answer)


def _lease(tenant_id: str, invoice: InvoiceDoc, deps: InvoicingDeps) -> tuple[InvoiceDoc | None, InvoiceDoc]:
    """(the invoice with this worker's emission lease, it) or (None, the invoice as another worker holds it:
    under a live lease, or just claimed by a concurrent emission, read again)."""
    now = deps.clock.now()
    if invoice.processing_until and datetime.fromisoformat(invoice.processing_until.replace("Z", "+00:00")) > now:
        return None, invoice
    claimed = invoice.model_copy(update={"processing_until": rfc3339(now + EMISSION_LEASE),
                                         "attempts": invoice.attempts + 1, "version": invoice.version + 1})
    try:
        deps.repo.save(tenant_id, claimed, invoice.version, [])
    except ConflictError:
        return None, deps.repo.get(tenant_id, invoice.id)
    return claimed, claimed


def _signed_document(tenant_id: str, tenant: Any, order: Any, invoice: InvoiceDoc,
                     deps: InvoicingDeps) -> tuple[Any, bytes]:
    """The NF-e built from the order, signed with the tenant's A1 and valid against the official XSD;
    an AppError says why it cannot be sent."""
    customer = deps.customer(tenant_id, order.customer_id)
    products = deps.products(tenant_id, [line.sku for line in order.lines])
    built = build_nfe(build_input(tenant, order, customer, products, invoice))
    key, _ = signing_key_for(tenant_id, tenant.cnpj, tenant.legal_name, deps.certificates, deps.clock.now())
    signed = sign_nfe(built.xml, key)
    errors = validate_nfe(signed)
    if errors:
        raise InvalidRequestError("The NF-e does not validate against the official XSD.",
                                  [FieldError("xml", str(e)) for e in errors[:10]])
    return built, signed


def _authorized(authority: FiscalAuthority, signed: bytes, environment: str) -> AuthorityAnswer:
    """The authority's answer to the signed NF-e; a 204 (sent before, its answer lost) is resolved by
    consulting the authorization the authority keeps."""
    answer = authority.authorize(signed, environment)
    if answer.cstat != codes.DUPLICIDADE:
        return answer
    consulted = authority.consult(signed, environment)
    if consulted is None:
        raise AuthorityUnavailableError(f"The authority reports this NF-e as sent ({answer.reason}) "
                                        "but its authorization could not be consulted; retry.")
    return consulted


def _finish(tenant_id: str, invoice: InvoiceDoc, expected_version: int, deps: InvoicingDeps,
            answer: AuthorityAnswer | None = None, **changes: Any) -> InvoiceDoc:
    if answer is not None:
        status = status_of_answer(answer.cstat)
        changes = {"status": status, "status_code": answer.cstat, "status_reason": answer.reason,
                   "protocol": answer.protocol if status == "authorized" else None,
                   "authorized_at": rfc3339(answer.received_at) if status == "authorized" else None}
    updated = invoice.model_copy(update={**changes, "processing_until": None, "version": expected_version + 1})
    events = []
    if updated.status == "authorized":
        events.append(deps.events.make(tenant_id, "invoice.authorized", _event_data(updated)))
    elif updated.status in ("rejected", "denied"):
        events.append(deps.events.make(tenant_id, "invoice.rejected", _event_data(updated)))
    try:
        deps.repo.save(tenant_id, updated, expected_version, events)
    except ConflictError:
        return deps.repo.get(tenant_id, invoice.id)  # a concurrent emission finished first
    return updated


def cancel_invoice(tenant_id: str, invoice_id: str, reason: str, deps: InvoicingDeps) -> InvoiceDoc:
    """Cancel an authorized NF-e (event 110111) within 24 h of its authorization and before the goods
    leave: an NF-e whose order shipped cannot be cancelled (the goods circulated with it). An `invoiced`
    order whose NF-e is cancelled here is cancelled too (the orders context reacts to `invoice.cancelled`)."""

    invoice = deps.repo.get(tenant_id, invoice_id)
    check_cancellable(invoice, deps.clock.now())
    order = deps.order(tenant_id, invoice.order_id)
    if order.status in ("shipped", "delivered"):
        raise InvalidStateError(f"Order {order.id} is {order.status}: the goods left with this NF-e, which can no "
                                "longer be cancelled; issue a return NF-e instead.", [FieldError("order_id", order.status)])
    answer = deps.authority(deps.tenant(tenant_id)).register_event(invoice.access_key or "", codes.EVENT_CANCEL, 1, reason,
                                                                   invoice.environment, protocol=invoice.protocol)
    if answer.cstat not in codes.EVENT_REGISTERED:
        raise InvalidStateError(f"The fiscal authority refused the cancellation: {answer.cstat} {answer.reason}",
                                [FieldError("status_code", answer.cstat)])
    updated = invoice.model_copy(update={"status": "cancelled", "cancelled_at": rfc3339(answer.received_at),
                                         "cancel_reason": reason, "cancellation_protocol": answer.protocol,
                                         "status_code": codes.CANCELAMENTO_HOMOLOGADO,
                                         "status_reason": codes.TEXTS[codes.CANCELAMENTO_HOMOLOGADO],
                                         "version": invoice.version + 1})
    deps.repo.save(tenant_id, updated, invoice.version,
                   [deps.events.make(tenant_id, "invoice.cancelled", _event_data(updated))])
    return updated


def correct_invoice(tenant_id: str, invoice_id: str, text: str, deps: InvoicingDeps) -> InvoiceDoc:
    """Carta de correção (event 110110): at most 20; each carries the consolidated text."""

    invoice = deps.repo.get(tenant_id, invoice_id)
    check_correctable(invoice, deps.clock.now())
    consolidated = consolidated_text(invoice.corrections, text)
    if len(consolidated) > 1000:
        raise InvalidRequestError("The consolidated correction text exceeds 1000 characters.",
                                  [FieldError("text", "send the whole consolidated text in at most 1000 characters")])
    sequence = len(invoice.corrections) + 1
    answer = deps.authority(deps.tenant(tenant_id)).register_event(invoice.access_key or "", codes.EVENT_CORRECTION,
                                                                   sequence, consolidated, invoice.environment)
    if answer.cstat not in codes.EVENT_REGISTERED:
        raise InvalidStateError(f"The fiscal authority refused the correction: {answer.cstat} {answer.reason}",
                                [FieldError("status_code", answer.cstat)])
    correction = Correction(sequence=sequence, text=text, consolidated_text=consolidated, protocol=answer.protocol or "",
                            registered_at=rfc3339(answer.received_at))
    updated = invoice.model_copy(update={"corrections": [*invoice.corrections, correction],
                                         "version": invoice.version + 1})
    deps.repo.save(tenant_id, updated, invoice.version,
                   [deps.events.make(tenant_id, "invoice.corrected", _event_data(updated))])
    return updated


def void_numbers(tenant_id: str, series: int, first: int, last: int, reason: str, deps: InvoicingDeps) -> dict[str, Any]:
    """Inutilização: void numbers no NF-e was authorized with (unused, or held by rejected NF-e)."""

    tenant = deps.tenant(tenant_id)
    seen = deps.repo.numbering(tenant_id, series)
    in_range = deps.repo.numbers_in_use(tenant_id, series, first, last)
    held = [i for i in in_range if i.status != "rejected" or i.processing_until]
    if held:
        raise NumbersInUseError("Some numbers of the range belong to NF-e that were not rejected.",
                                [FieldError("first_number", f"number {i.number} is {i.status} ({i.id})") for i in held])
    answer = deps.authority(tenant).void_numbers(tenant.cnpj, series, first, last, reason,
                                                  _environment(tenant))
    if answer.cstat not in codes.VOIDED:
        raise AuthorityRefusedError(f"The fiscal authority refused the void: {answer.cstat} {answer.reason}",
                                    [FieldError("first_number", f"{answer.cstat} {answer.reason}")])
    voided = [i.model_copy(update={"number_voided": True, "version": i.version + 1}) for i in in_range]
    void_id = deps.ids.new("vod")
    doc = {"id": void_id, "series": series, "first_number": first, "last_number": last, "reason": reason,
           "protocol": answer.protocol, "status_code": answer.cstat, "status_reason": answer.reason,
           "voided_at": rfc3339(answer.received_at)}
    deps.repo.void_range(tenant_id, series, first, last, seen, void_id, doc,
                         [deps.events.make(tenant_id, "invoice.numbers_voided", doc)], voided)
    return doc



def danfe(tenant_id: str, invoice: InvoiceDoc, deps: InvoicingDeps) -> bytes:
    """The DANFE of an authorized (or cancelled: watermarked) NF-e, rendered once and kept beside its XML."""
    from chalicelib.invoicing.danfe import render_danfe
    from chalicelib.platform.errors import NotFoundError

    if invoice.status not in ("authorized", "cancelled"):
        raise InvalidStateError(f"The NF-e is {invoice.status}: a DANFE exists only for an authorized NF-e.",
                                [FieldError("status", f"is {invoice.status}")])
    cancelled = invoice.status == "cancelled"
    name = "danfe-cancelled.pdf" if cancelled else "danfe.pdf"
    try:
        return deps.documents.get(tenant_id, invoice.id, name)
    except NotFoundError:
        pdf = render_danfe(deps.documents.get(tenant_id, invoice.id, "nfe-proc.xml"), cancelled=cancelled)
        deps.documents.put(tenant_id, invoice.id, name, pdf, "application/pdf")
        return pdf


def authorized_documents(tenant_id: str, invoice_id: str, deps: InvoicingDeps) -> tuple[bytes, bytes]:
    """What the recipient of an authorized NF-e gets: its `nfeProc` XML and its DANFE."""
    invoice = deps.repo.get(tenant_id, invoice_id)
    return deps.documents.get(tenant_id, invoice.id, "nfe-proc.xml"), danfe(tenant_id, invoice, deps)
