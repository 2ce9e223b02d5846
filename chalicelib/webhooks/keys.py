"""Webhooks' DynamoDB keys: endpoints, one delivery per (endpoint, event) under its endpoint, and the sweep's
index of pending deliveries by their next attempt (GSI2, across tenants, in a few shards). Only this
context's repository uses them."""

from __future__ import annotations

from chalicelib.platform.keys import Key, claim, part, tenant_item, tenant_partition

claim("webhooks", "WHE#", "WHD#", "WHDUE#")


def endpoint(tenant_id: str, endpoint_id: str) -> Key:
    return tenant_item(tenant_id, "WHE#", endpoint_id)


def endpoint_prefix(tenant_id: str) -> Key:
    return tenant_item(tenant_id, "WHE#")


def delivery(tenant_id: str, endpoint_id: str, delivery_id: str) -> Key:
    return tenant_item(tenant_id, "WHD#", endpoint_id, delivery_id)


def delivery_prefix(tenant_id: str, endpoint_id: str) -> Key:
    return tenant_item(tenant_id, "WHD#", endpoint_id, "")


def due_index(shard: int, next_attempt_at: str, tenant_id: str, endpoint_id: str, delivery_id: str) -> Key:
    """GSI2 entry, present while a delivery is pending: by the instant of its next attempt."""
    return Key(f"WHDUE#{shard}",
               f"{part(next_attempt_at)}#{tenant_partition(tenant_id)}#{part(endpoint_id)}#{part(delivery_id)}")


def due_shard(shard: int) -> str:
    return f"WHDUE#{shard}"
