"""Orders in the single table: one item per order, listed by tenant, status and customer."""

from __future__ import annotations

import json
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.orders import keys
from chalicelib.orders.model import Order
from chalicelib.platform.dynamo import BaseRecord, UnitOfWork, get_item, newest_page
from chalicelib.platform.errors import NotFoundError
from chalicelib.platform.ids import is_id
from chalicelib.platform.pagination import Page


class OrderRecord(BaseRecord):
    doc = JSONAttribute()
    version = NumberAttribute()
    status = UnicodeAttribute()
    customer_id = UnicodeAttribute()


def _record(tenant_id: str, order: Order) -> OrderRecord:
    doc = json.loads(order.model_dump_json(exclude={"version"}))
    index = keys.order_status_index(tenant_id, order.status, order.id)
    return OrderRecord.at(keys.order(tenant_id, order.id), kind="order", doc=doc, version=order.version,
                          status=order.status, customer_id=order.customer_id, gsi1pk=index.pk, gsi1sk=index.sk)


def _order(record: OrderRecord) -> Order:
    return Order.model_validate({**record.doc, "version": int(record.version)})


class DynamoOrderRepository:
    def get(self, tenant_id: str, order_id: str) -> Order:
        key = keys.order(tenant_id, order_id) if is_id(order_id, "ord") else None
        return _order(get_item(OrderRecord, key, NotFoundError(f"No order {order_id}.")))

    def stage_new(self, uow: UnitOfWork, tenant_id: str, order: Order) -> None:
        uow.put(_record(tenant_id, order), condition=OrderRecord.pk.does_not_exist())

    def stage_update(self, uow: UnitOfWork, tenant_id: str, order: Order, expected_version: int,
                     on_fail: Any) -> None:
        """Replace the order if it is still at `expected_version` (optimistic lock)."""
        uow.put(_record(tenant_id, order), condition=OrderRecord.version == expected_version, on_fail=on_fail)

    def list(self, tenant_id: str, status: str | None, customer_id: str | None, limit: int,
             cursor: str | None) -> Page[Order]:
        return newest_page(OrderRecord, f"{tenant_id}:orders:{status or '*'}:{customer_id or '*'}", limit, cursor,
                           _order, prefix=keys.order_prefix(tenant_id),
                           index=keys.order_status_index(tenant_id, status, "x") if status else None,
                           filter_condition=OrderRecord.customer_id == customer_id if customer_id else None)
