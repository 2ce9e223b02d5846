"""The metering context's DynamoDB keys: the monthly usage items. Only this context's repository uses them."""

from __future__ import annotations

from chalicelib.platform.keys import Key, claim, tenant_item

claim("metering", "USAGE#")


def usage(tenant_id: str, month: str) -> Key:
    return tenant_item(tenant_id, "USAGE#", month)
