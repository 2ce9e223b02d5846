"""Webhooks in the single table: an endpoint item per endpoint (its secrets sealed), a delivery item per
(endpoint, event) under an optimistic lock, and the pending ones in GSI2 by their next attempt."""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable
from datetime import datetime, timedelta

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DeleteError, PutError, UpdateError
from pynamodb.expressions.update import Action

from chalicelib.platform.dynamo import BaseRecord, Gsi2, UnitOfWork, get_item, newest_page
from chalicelib.platform.errors import NotFoundError
from chalicelib.platform.events import RETENTION_DAYS
from chalicelib.platform.ids import is_id
from chalicelib.platform.pagination import Page
from chalicelib.webhooks import keys
from chalicelib.webhooks.model import DUE_SHARDS, Delivery, Endpoint, shard_of


class EndpointRecord(BaseRecord):
    doc = JSONAttribute()
    version = NumberAttribute()
    failing_since = UnicodeAttribute(null=True)  # outside the doc: delivery results set it without the lock


class DeliveryRecord(BaseRecord):
    doc = JSONAttribute()
    version = NumberAttribute()
    status = UnicodeAttribute()
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi2 = Gsi2["DeliveryRecord"]()


def _endpoint(record: EndpointRecord) -> tuple[Endpoint, str | None]:
    return Endpoint.model_validate({**record.doc, "version": int(record.version)}), record.failing_since


def _delivery_record(tenant_id: str, delivery: Delivery) -> DeliveryRecord:
    due = (keys.due_index(shard_of(delivery.id), delivery.next_attempt_at, tenant_id, delivery.endpoint_id,
                          delivery.id)
           if delivery.status == "pending" and delivery.next_attempt_at else None)
    created = datetime.fromisoformat(delivery.created_at.replace("Z", "+00:00"))
    return DeliveryRecord.at(keys.delivery(tenant_id, delivery.endpoint_id, delivery.id), kind="webhook_delivery",
                             doc=json.loads(delivery.model_dump_json(exclude={"version"})), version=delivery.version,
                             status=delivery.status, gsi2pk=due.pk if due else None, gsi2sk=due.sk if due else None,
                             expires_at=int((created + timedelta(days=RETENTION_DAYS)).timestamp()))


def _delivery(record: DeliveryRecord) -> Delivery:
    return Delivery.model_validate({**record.doc, "version": int(record.version)})


def _condition_failed(exc: PutError | UpdateError | DeleteError) -> bool:
    return exc.cause_response_code == "ConditionalCheckFailedException"


class DynamoWebhookRepository:
    # Endpoints
    def stage_new_endpoint(self, uow: UnitOfWork, tenant_id: str, endpoint: Endpoint) -> None:
        record = EndpointRecord.at(keys.endpoint(tenant_id, endpoint.id), kind="webhook_endpoint",
                                   doc=json.loads(endpoint.model_dump_json(exclude={"version"})),
                                   version=endpoint.version)
        uow.put(record, condition=EndpointRecord.pk.does_not_exist())

    def stage_endpoint_update(self, uow: UnitOfWork, tenant_id: str, endpoint: Endpoint, expected_version: int,
                              on_fail: Callable[[], None], failing_since: str | bool | None = False) -> None:
        """The endpoint's doc under its version; `failing_since` None clears the failure streak, False keeps it."""
        actions: list[Action] = [EndpointRecord.doc.set(json.loads(endpoint.model_dump_json(exclude={"version"}))),
                   EndpointRecord.version.set(endpoint.version)]
        if failing_since is None:
            actions.append(EndpointRecord.failing_since.remove())
        uow.update(EndpointRecord.at(keys.endpoint(tenant_id, endpoint.id)), actions,
                   condition=EndpointRecord.version == expected_version, on_fail=on_fail)

    def get_endpoint(self, tenant_id: str, endpoint_id: str) -> tuple[Endpoint, str | None]:
        key = keys.endpoint(tenant_id, endpoint_id) if is_id(endpoint_id, "whe") else None
        return _endpoint(get_item(EndpointRecord, key, NotFoundError(f"No webhook endpoint {endpoint_id}.")))

    def endpoints(self, tenant_id: str) -> builtins.list[Endpoint]:
        """Every endpoint of the tenant (a handful: the fan-out reads them once per event)."""
        prefix = keys.endpoint_prefix(tenant_id)
        return [_endpoint(r)[0] for r in EndpointRecord.query(prefix.pk, EndpointRecord.sk.startswith(prefix.sk))]

    def list_endpoints(self, tenant_id: str, limit: int, cursor: str | None) -> Page[tuple[Endpoint, str | None]]:
        return newest_page(EndpointRecord, f"{tenant_id}:webhook-endpoints", limit, cursor, _endpoint,
                           prefix=keys.endpoint_prefix(tenant_id))

    def delete_endpoint(self, tenant_id: str, endpoint_id: str) -> None:
        key = keys.endpoint(tenant_id, endpoint_id)
        try:
            EndpointRecord.at(key).delete(condition=EndpointRecord.pk.exists())
        except DeleteError as exc:
            if _condition_failed(exc):
                raise NotFoundError(f"No webhook endpoint {endpoint_id}.") from None
            raise

    def mark_failing(self, tenant_id: str, endpoint_id: str, at: str) -> str | None:
        """Start the endpoint's failure streak at `at` unless one runs; the streak's start (None: no endpoint)."""
        try:
            record = EndpointRecord.at(keys.endpoint(tenant_id, endpoint_id))
            record.update(actions=[EndpointRecord.failing_since.set(EndpointRecord.failing_since | at)],
                          condition=EndpointRecord.pk.exists())
        except UpdateError as exc:
            if _condition_failed(exc):
                return None
            raise
        return record.failing_since

    def mark_recovered(self, tenant_id: str, endpoint_id: str) -> None:
        """End the failure streak, if one runs (one write only when it does)."""
        try:
            EndpointRecord.at(keys.endpoint(tenant_id, endpoint_id)).update(
                actions=[EndpointRecord.failing_since.remove()], condition=EndpointRecord.failing_since.exists())
        except UpdateError as exc:
            if not _condition_failed(exc):
                raise

    # Deliveries
    def create_delivery(self, tenant_id: str, delivery: Delivery) -> bool:
        """True when this call made it; False when it exists (a repeat of the fan-out)."""
        try:
            _delivery_record(tenant_id, delivery).save(condition=DeliveryRecord.pk.does_not_exist())
        except PutError as exc:
            if _condition_failed(exc):
                return False
            raise
        return True

    def save_delivery(self, tenant_id: str, delivery: Delivery, expected_version: int) -> bool:
        """Write it under its version; False when another writer moved it first."""
        try:
            _delivery_record(tenant_id, delivery).save(condition=DeliveryRecord.version == expected_version)
        except PutError as exc:
            if _condition_failed(exc):
                return False
            raise
        return True

    def get_delivery(self, tenant_id: str, endpoint_id: str, delivery_id: str) -> Delivery | None:
        if not (is_id(endpoint_id, "whe") and is_id(delivery_id, "whd")):
            return None
        key = keys.delivery(tenant_id, endpoint_id, delivery_id)
        try:
            return _delivery(DeliveryRecord.get(key.pk, key.sk, consistent_read=True))
        except DeliveryRecord.DoesNotExist:
            return None

    def list_deliveries(self, tenant_id: str, endpoint_id: str, status: str | None, limit: int,
                        cursor: str | None) -> Page[Delivery]:
        return newest_page(DeliveryRecord, f"{tenant_id}:webhook-deliveries:{endpoint_id}:{status or '*'}", limit,
                           cursor, _delivery, prefix=keys.delivery_prefix(tenant_id, endpoint_id),
                           filter_condition=(DeliveryRecord.status == status) if status else None)

    def due(self, before: str, limit: int) -> builtins.list[tuple[str, str, str, str]]:
        """(tenant, endpoint, delivery, next attempt) of pending deliveries due before `before`, soonest first."""
        found: builtins.list[tuple[str, str, str, str]] = []
        for shard in range(DUE_SHARDS):
            for record in DeliveryRecord.gsi2.query(keys.due_shard(shard), DeliveryRecord.gsi2sk < before, limit=limit):
                at, _, tenant, endpoint_id, delivery_id = (record.gsi2sk or "").split("#")
                found.append((tenant, endpoint_id, delivery_id, at))
        return sorted(found, key=lambda row: row[3])[:limit]
