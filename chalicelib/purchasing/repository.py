"""Purchasing in the single table: a purchase order or an inbound invoice is one item under an optimistic
lock, listed by status through GSI1; an inbound invoice claims its access key in the transaction that
stores it; a supplier's code → SKU is an item of its own, learned at each acceptance."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from decimal import Decimal

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.platform.dynamo import BaseRecord, UnitOfWork, batch_get, get_item, newest_page
from chalicelib.platform.errors import NotFoundError
from chalicelib.platform.ids import is_id
from chalicelib.platform.pagination import Page
from chalicelib.purchasing import keys
from chalicelib.purchasing.model import DfeCursor, InboundInvoice, PurchaseOrder


class DocRecord(BaseRecord):
    doc = JSONAttribute()
    version = NumberAttribute()
    supplier_id = UnicodeAttribute()


class AccessKeyRecord(BaseRecord):
    invoice_id = UnicodeAttribute()


class SourceRecord(BaseRecord):
    sku = UnicodeAttribute()
    supplier_id = UnicodeAttribute()
    unit_cost_cents = NumberAttribute()
    received_at = UnicodeAttribute()


class CursorRecord(BaseRecord):
    doc = JSONAttribute()
    version = NumberAttribute()


class SupplierItemRecord(BaseRecord):
    sku = UnicodeAttribute()
    factor = UnicodeAttribute()
    supplier_code = UnicodeAttribute()


def _order(record: DocRecord) -> PurchaseOrder:
    return PurchaseOrder.model_validate({**record.doc, "version": int(record.version)})


def _invoice(record: DocRecord) -> InboundInvoice:
    return InboundInvoice.model_validate({**record.doc, "version": int(record.version)})


class DynamoPurchasingRepository:
    # Purchase orders
    def stage_new_order(self, uow: UnitOfWork, tenant_id: str, order: PurchaseOrder) -> None:
        uow.put(self._order_record(tenant_id, order), condition=DocRecord.pk.does_not_exist())

    def stage_order_update(self, uow: UnitOfWork, tenant_id: str, order: PurchaseOrder, expected_version: int,
                           on_fail: Callable[[], None]) -> None:
        uow.put(self._order_record(tenant_id, order), condition=DocRecord.version == expected_version,
                on_fail=on_fail)

    @staticmethod
    def _order_record(tenant_id: str, order: PurchaseOrder) -> DocRecord:
        index = keys.purchase_order_status(tenant_id, order.status, order.id)
        return DocRecord.at(keys.purchase_order(tenant_id, order.id), kind="purchase_order",
                            doc=json.loads(order.model_dump_json(exclude={"version"})), version=order.version,
                            supplier_id=order.supplier_id, gsi1pk=index.pk, gsi1sk=index.sk)

    def get_order(self, tenant_id: str, order_id: str) -> PurchaseOrder:
        key = keys.purchase_order(tenant_id, order_id) if is_id(order_id, "po") else None
        return _order(get_item(DocRecord, key, NotFoundError(f"No purchase order {order_id}.")))

    def list_orders(self, tenant_id: str, status: str | None, supplier_id: str | None, limit: int,
                    cursor: str | None) -> Page[PurchaseOrder]:
        return newest_page(DocRecord, f"{tenant_id}:purchase-orders:{status or '*'}:{supplier_id or '*'}", limit,
                           cursor, _order, prefix=keys.purchase_order_prefix(tenant_id),
                           index=keys.purchase_order_status(tenant_id, status, "x") if status else None,
                           filter_condition=DocRecord.supplier_id == supplier_id if supplier_id else None)

    # Inbound invoices
    def stage_new_invoice(self, uow: UnitOfWork, tenant_id: str, invoice: InboundInvoice,
                          on_duplicate: Callable[[], None]) -> None:
        uow.put(self._invoice_record(tenant_id, invoice), condition=DocRecord.pk.does_not_exist())
        uow.put(AccessKeyRecord.at(keys.access_key_claim(tenant_id, invoice.access_key), kind="nfi_access_key",
                                   invoice_id=invoice.id),
                condition=AccessKeyRecord.pk.does_not_exist(), on_fail=on_duplicate)

    def stage_invoice_update(self, uow: UnitOfWork, tenant_id: str, invoice: InboundInvoice, expected_version: int,
                             on_fail: Callable[[], None]) -> None:
        uow.put(self._invoice_record(tenant_id, invoice), condition=DocRecord.version == expected_version,
                on_fail=on_fail)

    @staticmethod
    def _invoice_record(tenant_id: str, invoice: InboundInvoice) -> DocRecord:
        index = keys.inbound_invoice_status(tenant_id, invoice.status, invoice.id)
        return DocRecord.at(keys.inbound_invoice(tenant_id, invoice.id), kind="inbound_invoice",
                            doc=json.loads(invoice.model_dump_json(exclude={"version"})), version=invoice.version,
                            supplier_id=invoice.supplier_id, gsi1pk=index.pk, gsi1sk=index.sk)

    def invoice_id_by_access_key(self, tenant_id: str, access_key: str) -> str | None:
        key = keys.access_key_claim(tenant_id, access_key)
        try:
            return str(AccessKeyRecord.get(key.pk, key.sk, consistent_read=True).invoice_id)
        except AccessKeyRecord.DoesNotExist:
            return None

    def get_invoice(self, tenant_id: str, invoice_id: str) -> InboundInvoice:
        key = keys.inbound_invoice(tenant_id, invoice_id) if is_id(invoice_id, "nfi") else None
        return _invoice(get_item(DocRecord, key, NotFoundError(f"No inbound invoice {invoice_id}.")))

    def list_invoices(self, tenant_id: str, status: str | None, supplier_id: str | None, limit: int,
                      cursor: str | None) -> Page[InboundInvoice]:
        return newest_page(DocRecord, f"{tenant_id}:inbound-invoices:{status or '*'}:{supplier_id or '*'}", limit,
                           cursor, _invoice, prefix=keys.inbound_invoice_prefix(tenant_id),
                           index=keys.inbound_invoice_status(tenant_id, status, "x") if status else None,
                           filter_condition=DocRecord.supplier_id == supplier_id if supplier_id else None)

    # What the tenant learned of a supplier's codes
    def learned(self, tenant_id: str, supplier_id: str, codes: Iterable[str]) -> dict[str, tuple[str, Decimal]]:
        wanted = [keys.supplier_item(tenant_id, supplier_id, code) for code in codes]
        return {str(r.supplier_code): (str(r.sku), Decimal(str(r.factor)))
                for r in batch_get(SupplierItemRecord, wanted)}

    def stage_learned(self, uow: UnitOfWork, tenant_id: str, supplier_id: str, code: str, sku: str,
                      factor: Decimal) -> None:
        uow.put(SupplierItemRecord.at(keys.supplier_item(tenant_id, supplier_id, code), kind="supplier_item",
                                      sku=sku, factor=str(factor), supplier_code=code))

    # Where each SKU came from last
    def stage_source(self, uow: UnitOfWork, tenant_id: str, sku: str, supplier_id: str, unit_cost_cents: int,
                     received_at: str) -> None:
        uow.put(SourceRecord.at(keys.sku_source(tenant_id, sku), kind="sku_source", sku=sku, supplier_id=supplier_id,
                                unit_cost_cents=unit_cost_cents, received_at=received_at))

    def sources(self, tenant_id: str, skus: Iterable[str]) -> dict[str, tuple[str, int]]:
        """SKU → (its last supplier, the unit cost it came at)."""
        wanted = [keys.sku_source(tenant_id, sku) for sku in skus]
        return {str(r.sku): (str(r.supplier_id), int(r.unit_cost_cents)) for r in batch_get(SourceRecord, wanted)}

    # The DF-e cursor
    def cursor(self, tenant_id: str, root: str) -> DfeCursor:
        key = keys.dfe_cursor(tenant_id, root)
        try:
            record = CursorRecord.get(key.pk, key.sk, consistent_read=True)
        except CursorRecord.DoesNotExist:
            return DfeCursor(root=root)
        return DfeCursor.model_validate({**record.doc, "version": int(record.version)})

    def save_cursor(self, tenant_id: str, cursor: DfeCursor, expected_version: int) -> bool:
        """Store the cursor if nobody moved it since `expected_version` was read; False if somebody did."""
        from pynamodb.exceptions import PutError

        condition = CursorRecord.pk.does_not_exist() if expected_version == 0 else \
            CursorRecord.version == expected_version
        record = CursorRecord.at(keys.dfe_cursor(tenant_id, cursor.root), kind="dfe_cursor",
                                 doc=json.loads(cursor.model_dump_json(exclude={"version"})), version=cursor.version)
        try:
            record.save(condition=condition)
        except PutError:
            return False
        return True
