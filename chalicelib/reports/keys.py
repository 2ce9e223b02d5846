"""Reports' DynamoDB keys: one bucket per tenant and day (and per product and day, per customer and day),
sorted by day so a period is one key range; and the events a projection has applied, claimed once. Only
this context's repository uses them."""

from __future__ import annotations

from chalicelib.platform.keys import Key, claim, tenant_item

claim("reports", "RPT#", "RPTSEEN#")

DAY, PRODUCT, CUSTOMER = "DAY", "SKU", "CUS"


def bucket(tenant_id: str, kind: str, day: str, member: str = "") -> Key:
    """`RPT#<kind>#<day>[#<sku or customer>]`."""
    return tenant_item(tenant_id, f"RPT#{kind}#", day, member) if member else tenant_item(tenant_id, f"RPT#{kind}#", day)


def bucket_prefix(tenant_id: str, kind: str) -> Key:
    return tenant_item(tenant_id, f"RPT#{kind}#")


def applied(tenant_id: str, event_id: str) -> Key:
    """The event, once a projection applied it (in the same transaction as its buckets)."""
    return tenant_item(tenant_id, "RPTSEEN#", event_id)
