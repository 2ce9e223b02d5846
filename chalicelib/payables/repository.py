"""Payables in the single table: one item per bill under an optimistic lock, listed by status through
GSI1; a payment claims its reference (notice or statement line) in the same transaction."""

from __future__ import annotations

import json
from collections.abc import Callable

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.payables import keys
from chalicelib.payables.model import Payable
from chalicelib.platform.dynamo import BaseRecord, UnitOfWork, get_item, newest_page
from chalicelib.platform.errors import NotFoundError
from chalicelib.platform.ids import is_id
from chalicelib.platform.pagination import Page


class PayableRecord(BaseRecord):
    doc = JSONAttribute()
    version = NumberAttribute()
    supplier_id = UnicodeAttribute()
    due_date = UnicodeAttribute()


class ReferenceRecord(BaseRecord):
    payable_id = UnicodeAttribute()


def _record(tenant_id: str, payable: Payable) -> PayableRecord:
    index = keys.status_index(tenant_id, payable.status, payable.id)
    return PayableRecord.at(keys.payable(tenant_id, payable.id), kind="payable",
                            doc=json.loads(payable.model_dump_json(exclude={"version"})), version=payable.version,
                            supplier_id=payable.supplier_id, due_date=payable.due_date.isoformat(),
                            gsi1pk=index.pk, gsi1sk=index.sk)


def _payable(record: PayableRecord) -> Payable:
    return Payable.model_validate({**record.doc, "version": int(record.version)})


class DynamoPayableRepository:
    def stage_new(self, uow: UnitOfWork, tenant_id: str, payable: Payable) -> None:
        uow.put(_record(tenant_id, payable), condition=PayableRecord.pk.does_not_exist())

    def stage_update(self, uow: UnitOfWork, tenant_id: str, payable: Payable, expected_version: int,
                     on_fail: Callable[[], None]) -> None:
        uow.put(_record(tenant_id, payable), condition=PayableRecord.version == expected_version, on_fail=on_fail)

    def stage_reference(self, uow: UnitOfWork, tenant_id: str, source: str, reference: str, payable_id: str,
                        on_fail: Callable[[], None]) -> None:
        uow.put(ReferenceRecord.at(keys.payment_reference(tenant_id, source, reference), kind="payable_payment",
                                   payable_id=payable_id),
                condition=ReferenceRecord.pk.does_not_exist(), on_fail=on_fail)

    def reference(self, tenant_id: str, source: str, reference: str) -> str | None:
        key = keys.payment_reference(tenant_id, source, reference)
        try:
            return str(ReferenceRecord.get(key.pk, key.sk, consistent_read=True).payable_id)
        except ReferenceRecord.DoesNotExist:
            return None

    def get(self, tenant_id: str, payable_id: str) -> Payable:
        key = keys.payable(tenant_id, payable_id) if is_id(payable_id, "bil") else None
        return _payable(get_item(PayableRecord, key, NotFoundError(f"No payable {payable_id}.")))

    def list(self, tenant_id: str, status: str | None, supplier_id: str | None, due_before: str | None,
             limit: int, cursor: str | None) -> Page[Payable]:
        condition = None
        if supplier_id:
            condition = PayableRecord.supplier_id == supplier_id
        if due_before:
            before = PayableRecord.due_date < due_before
            condition = before if condition is None else condition & before
        return newest_page(PayableRecord, f"{tenant_id}:payables:{status or '*'}:{supplier_id or '*'}:"
                                          f"{due_before or '*'}", limit, cursor, _payable,
                           prefix=keys.payable_prefix(tenant_id),
                           index=keys.status_index(tenant_id, status, "x") if status else None,
                           filter_condition=condition)
