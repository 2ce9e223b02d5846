"""The stock context's DynamoDB keys: levels, movements, warehouses and reservations. Only this context's repository uses them."""

from __future__ import annotations

from chalicelib.platform.keys import Key, claim, part, tenant_index, tenant_item, tenant_partition

claim("stock", "STK#", "#STKLOW", "MOV#", "#MOVSKU#", "WHS#", "RSV#")


def stock_level(tenant_id: str, sku: str) -> Key:
    """One item per SKU: totals plus per-warehouse maps, so a k-line reservation writes k items."""
    return tenant_item(tenant_id, "STK#", sku)


def stock_level_prefix(tenant_id: str) -> Key:
    return tenant_item(tenant_id, "STK#")


def stock_below_minimum_index(tenant_id: str, sku: str) -> Key:
    """Sparse GSI1 entry present only while the SKU's available stock is below its minimum."""
    return Key(f"{tenant_partition(tenant_id)}#STKLOW", part(sku))


def stock_movement(tenant_id: str, movement_id: str) -> Key:
    return tenant_item(tenant_id, "MOV#", movement_id)


def stock_movement_prefix(tenant_id: str) -> Key:
    return tenant_item(tenant_id, "MOV#")


def stock_movement_sku_index(tenant_id: str, sku: str, movement_id: str) -> Key:
    """GSI1 entry: one SKU's movement ledger, ordered by movement id (time)."""
    return tenant_index(tenant_id, "MOVSKU", sku, movement_id)


def warehouse(tenant_id: str, code: str) -> Key:
    """A registered warehouse (`main` is built in and never stored); the item is its code's claim."""
    return tenant_item(tenant_id, "WHS#", code)


def warehouse_prefix(tenant_id: str) -> Key:
    return tenant_item(tenant_id, "WHS#")


def stock_reservation(tenant_id: str, reservation_id: str) -> Key:
    return tenant_item(tenant_id, "RSV#", reservation_id)


def stock_reservation_prefix(tenant_id: str) -> Key:
    return tenant_item(tenant_id, "RSV#")
