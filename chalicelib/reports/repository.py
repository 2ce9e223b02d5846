"""Report projections in the single table: bucket items updated with ADD (commutative, so events may come
in any order), each event's updates and its `applied` mark in one transaction (applied once, however often
it is delivered), and a period read as one key range per projection."""

from __future__ import annotations

import time
from collections.abc import Iterator

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.expressions.update import Action

from chalicelib.platform.dynamo import BaseRecord, UnitOfWork
from chalicelib.reports import keys
from chalicelib.reports.model import Bucket, Sale

APPLIED_RETENTION_SECONDS = 35 * 24 * 3600  # longer than any redelivery (SQS keeps a message 4 days)
_HIGH = "\uffff"


class BucketRecord(BaseRecord):
    day = UnicodeAttribute()
    member = UnicodeAttribute(null=True)
    name = UnicodeAttribute(null=True)
    orders = NumberAttribute(default=0)
    quantity = NumberAttribute(default=0)
    gross_cents = NumberAttribute(default=0)


class AppliedRecord(BaseRecord):
    projection = UnicodeAttribute()


class DuplicateEvent(Exception):
    """The event was applied before."""


def _raise_duplicate() -> None:
    raise DuplicateEvent


def _add(uow: UnitOfWork, tenant_id: str, kind: str, sale: Sale, member: str = "", name: str = "",
         quantity: int = 0, cents: int = 0) -> None:
    actions: list[Action] = [BucketRecord.day.set(sale.day), BucketRecord.kind.set(f"report_{kind.lower()}"),
                             BucketRecord.orders.add(sale.sign), BucketRecord.gross_cents.add(sale.sign * cents)]
    if member:
        actions.append(BucketRecord.member.set(member))
    if name:
        actions.append(BucketRecord.name.set(name))
    if quantity:
        actions.append(BucketRecord.quantity.add(sale.sign * quantity))
    uow.update(BucketRecord.at(keys.bucket(tenant_id, kind, sale.day, member)), actions)


def _bucket(record: BucketRecord) -> Bucket:
    return Bucket(day=record.day, member=record.member or "", name=record.name or "", orders=int(record.orders or 0),
                  quantity=int(record.quantity or 0), gross_cents=int(record.gross_cents or 0))


class DynamoReportRepository:
    def apply_sale(self, tenant_id: str, event_id: str, sale: Sale) -> bool:
        """Add the sale to its day, its customer's day and each product's day, once per event (False: it was
        applied before)."""
        uow = UnitOfWork()
        uow.put(AppliedRecord.at(keys.applied(tenant_id, event_id), kind="report_applied", projection="sales",
                                 expires_at=int(time.time()) + APPLIED_RETENTION_SECONDS),
                condition=AppliedRecord.pk.does_not_exist(), on_fail=_raise_duplicate)
        _add(uow, tenant_id, keys.DAY, sale, cents=sale.total_cents)
        _add(uow, tenant_id, keys.CUSTOMER, sale, member=sale.customer_id, cents=sale.total_cents)
        for sku, name, quantity, cents in sale.lines:
            _add(uow, tenant_id, keys.PRODUCT, sale, member=sku, name=name, quantity=quantity, cents=cents)
        try:
            uow.commit()
        except DuplicateEvent:
            return False
        return True

    def buckets(self, tenant_id: str, kind: str, first: str, last: str) -> Iterator[Bucket]:
        """A projection's buckets from day `first` to day `last` (ISO dates, inclusive), by day."""
        prefix = keys.bucket_prefix(tenant_id, kind)
        condition = BucketRecord.sk.between(prefix.sk + first, prefix.sk + last + _HIGH)
        for record in BucketRecord.query(prefix.pk, condition):
            yield _bucket(record)
