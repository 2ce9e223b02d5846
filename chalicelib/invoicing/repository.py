"""Invoices, their numbering and the order → invoice claim, in the single table."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.invoicing import keys
from chalicelib.invoicing.model import InvoiceDoc
from chalicelib.platform.dynamo import BaseRecord, UnitOfWork, get_item, newest_page
from chalicelib.platform.errors import ConflictError, NotFoundError
from chalicelib.platform.events import Event, stage_event
from chalicelib.platform.ids import is_id
from chalicelib.platform.pagination import Page


class InvoiceRecord(BaseRecord):
    doc = JSONAttribute()
    version = NumberAttribute()
    status = UnicodeAttribute()


class InvoiceClaimRecord(BaseRecord):
    invoice_id = UnicodeAttribute()


class NumberCounterRecord(BaseRecord):
    next_number = NumberAttribute()
    skips = JSONAttribute(null=True)  # voided ranges ahead of next_number: [[first, last], ...]
    version = NumberAttribute(null=True)


class NumberVoidRecord(BaseRecord):
    doc = JSONAttribute()


class NumberTakenError(ConflictError):
    """Another emission took the number first; read the counter again."""


@dataclass(frozen=True)
class Numbering:
    """A série's counter: the next number never handed out, and the voided ranges ahead of it
    (inutilizadas before the counter got there), which the counter jumps when it reaches them."""

    next_number: int = 1
    skips: tuple[tuple[int, int], ...] = ()
    version: int = 0

    @property
    def first_usable(self) -> int:
        number = self.next_number
        for first, last in sorted(self.skips):
            if first <= number <= last:
                number = last + 1
        return number


def _record(tenant_id: str, invoice: InvoiceDoc) -> InvoiceRecord:
    index = keys.invoice_status_index(tenant_id, invoice.status, invoice.id)
    return InvoiceRecord.at(keys.invoice(tenant_id, invoice.id), kind="invoice",
                            doc=json.loads(invoice.model_dump_json(exclude={"version"})), version=invoice.version,
                            status=invoice.status, gsi1pk=index.pk, gsi1sk=index.sk)


def _invoice(record: InvoiceRecord) -> InvoiceDoc:
    return InvoiceDoc.model_validate({**record.doc, "version": int(record.version)})


class DynamoInvoiceRepository:
    def get(self, tenant_id: str, invoice_id: str) -> InvoiceDoc:
        key = keys.invoice(tenant_id, invoice_id) if is_id(invoice_id, "inv") else None
        return _invoice(get_item(InvoiceRecord, key, NotFoundError(f"No invoice {invoice_id}.")))

    def find_by_order(self, tenant_id: str, order_id: str) -> InvoiceDoc | None:
        key = keys.invoice_of_order(tenant_id, order_id)
        try:
            claim = InvoiceClaimRecord.get(key.pk, key.sk, consistent_read=True)
        except InvoiceClaimRecord.DoesNotExist:
            return None
        return self.get(tenant_id, claim.invoice_id)

    def numbering(self, tenant_id: str, series: int) -> Numbering:
        key = keys.invoice_number_counter(tenant_id, series)
        try:
            record = NumberCounterRecord.get(key.pk, key.sk, consistent_read=True)
        except NumberCounterRecord.DoesNotExist:
            return Numbering()
        return Numbering(int(record.next_number), tuple((int(a), int(b)) for a, b in record.skips or ()),
                         int(record.version or 0))

    def next_number(self, tenant_id: str, series: int) -> int:
        """The number the série's next NF-e gets."""
        return self.numbering(tenant_id, series).first_usable

    def _stage_counter(self, uow: UnitOfWork, tenant_id: str, series: int, seen: Numbering, new_next: int,
                       skips: list[tuple[int, int]]) -> None:
        """Move the série's counter from what was `seen`, only if nobody moved it first."""
        counter = NumberCounterRecord.at(keys.invoice_number_counter(tenant_id, series), kind="nfe_counter")
        condition = (NumberCounterRecord.version == seen.version) if seen.version else (
            NumberCounterRecord.pk.does_not_exist() | NumberCounterRecord.version.does_not_exist())
        remaining = [[a, b] for a, b in sorted(skips) if b >= new_next]
        uow.update(counter, actions=[NumberCounterRecord.next_number.set(new_next),
                                     NumberCounterRecord.skips.set(remaining),
                                     NumberCounterRecord.version.set(seen.version + 1),
                                     NumberCounterRecord.kind.set("nfe_counter")],
                   condition=condition, on_fail=NumberTakenError("The number was taken; retry."))

    def create_numbered(self, tenant_id: str, invoice: InvoiceDoc, seen: Numbering) -> None:
        """The invoice, its number (`seen.first_usable`, taken from the counter) and the order's claim, in one
        step: a number is never used twice and never consumed without an invoice holding it."""
        uow = UnitOfWork()
        self._stage_counter(uow, tenant_id, invoice.series, seen, invoice.number + 1, list(seen.skips))
        uow.put(InvoiceClaimRecord.at(keys.invoice_of_order(tenant_id, invoice.order_id), kind="invoice_claim",
                                      invoice_id=invoice.id),
                condition=InvoiceClaimRecord.pk.does_not_exist(),
                on_fail=ConflictError("This order already has an invoice."))
        uow.put(_record(tenant_id, invoice), condition=InvoiceRecord.pk.does_not_exist())
        uow.commit()

    def save(self, tenant_id: str, invoice: InvoiceDoc, expected_version: int, events: list[Event]) -> None:
        uow = UnitOfWork()
        uow.put(_record(tenant_id, invoice), condition=InvoiceRecord.version == expected_version,
                on_fail=ConflictError("The invoice changed concurrently; retry."))
        for event in events:
            stage_event(uow, event)
        uow.commit()

    def renumber(self, tenant_id: str, invoice: InvoiceDoc, expected_version: int, seen: Numbering) -> None:
        """A rejected NF-e whose number was voided takes the série's next number (`invoice.number`)."""
        uow = UnitOfWork()
        self._stage_counter(uow, tenant_id, invoice.series, seen, invoice.number + 1, list(seen.skips))
        uow.put(_record(tenant_id, invoice), condition=InvoiceRecord.version == expected_version,
                on_fail=ConflictError("The invoice changed concurrently; retry."))
        uow.commit()

    def void_range(self, tenant_id: str, series: int, first: int, last: int, seen: Numbering,
                   void_id: str, doc: dict[str, Any], events: list[Event], voided: list[InvoiceDoc]) -> None:
        """Record a void. A range at the counter moves it past `last`; a range ahead of it is remembered
        and jumped when the counter gets there; a range behind it changes nothing. `voided`: rejected
        NF-e whose numbers the range takes (already marked), saved in the same step."""
        uow = UnitOfWork()
        if first <= seen.next_number <= last:
            self._stage_counter(uow, tenant_id, series, seen, last + 1, list(seen.skips))
        elif first > seen.next_number:
            self._stage_counter(uow, tenant_id, series, seen, seen.next_number, [*seen.skips, (first, last)])
        uow.put(NumberVoidRecord.at(keys.invoice_number_void(tenant_id, void_id), kind="number_void", doc=doc),
                condition=NumberVoidRecord.pk.does_not_exist())
        for invoice in voided:
            uow.put(_record(tenant_id, invoice), condition=InvoiceRecord.version == invoice.version - 1,
                    on_fail=ConflictError("An invoice of the range changed concurrently; retry."))
        for event in events:
            stage_event(uow, event)
        uow.commit()

    def numbers_in_use(self, tenant_id: str, series: int, first: int, last: int) -> list[InvoiceDoc]:
        """Invoices of the série whose number falls in [first, last] (scans the tenant's invoices)."""
        prefix = keys.invoice_prefix(tenant_id)
        found = []
        for record in InvoiceRecord.query(prefix.pk, InvoiceRecord.sk.startswith(prefix.sk)):
            invoice = _invoice(record)
            if invoice.series == series and first <= invoice.number <= last:
                found.append(invoice)
        return found

    def list(self, tenant_id: str, status: str | None, limit: int, cursor: str | None) -> Page[InvoiceDoc]:
        return newest_page(InvoiceRecord, f"{tenant_id}:invoices:{status or '*'}", limit, cursor, _invoice,
                           prefix=keys.invoice_prefix(tenant_id),
                           index=keys.invoice_status_index(tenant_id, status, "x") if status else None)
