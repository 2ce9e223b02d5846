"""The metering context's DynamoDB keys: the monthly usage items. Only this context's repository uses them."""

from __future__ import annotations

from chalicelib.platform.keys import Key, claim, part, tenant_partition

claim("metering", 'USAGE#')


def usage(tenant_id: str, month: str) -> Key:
    return Key(tenant_partition(tenant_id), f"USAGE#{part(month)}")
