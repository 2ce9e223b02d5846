"""The orders context's DynamoDB keys: orders. Only this context's repository uses them."""

from __future__ import annotations

from chalicelib.platform.keys import Key, claim, part, tenant_partition

claim("orders", 'ORD#', '#ORDSTATUS#')


def order(tenant_id: str, order_id: str) -> Key:
    return Key(tenant_partition(tenant_id), f"ORD#{part(order_id)}")


def order_prefix(tenant_id: str) -> Key:
    return Key(tenant_partition(tenant_id), "ORD#")


def order_status_index(tenant_id: str, status: str, order_id: str) -> Key:
    """GSI1 entry: a tenant's orders in one status, newest id last."""
    return Key(f"{tenant_partition(tenant_id)}#ORDSTATUS#{part(status)}", part(order_id))
