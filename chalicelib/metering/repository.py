"""The monthly usage item of each tenant: one atomic ADD per count."""

from __future__ import annotations

from pynamodb.attributes import NumberAttribute

from chalicelib.metering import keys
from chalicelib.metering.model import COUNTERS
from chalicelib.platform.dynamo import BaseRecord


class UsageRecord(BaseRecord):
    api_calls = NumberAttribute(null=True)
    orders = NumberAttribute(null=True)
    invoices = NumberAttribute(null=True)
    charges = NumberAttribute(null=True)
    notifications = NumberAttribute(null=True)
    storage_items = NumberAttribute(null=True)


class DynamoUsageRepository:
    def add(self, tenant_id: str, month: str, counter: str, amount: int = 1) -> None:
        record = UsageRecord.at(keys.usage(tenant_id, month), kind="usage")
        record.update(actions=[getattr(UsageRecord, counter).add(amount)])

    def month(self, tenant_id: str, month: str) -> dict[str, int]:
        key = keys.usage(tenant_id, month)
        try:
            record = UsageRecord.get(key.pk, key.sk, consistent_read=True)
        except UsageRecord.DoesNotExist:
            return dict.fromkeys(COUNTERS, 0)
        return {name: int(getattr(record, name) or 0) for name in COUNTERS}
