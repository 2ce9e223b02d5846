"""Tenants, their API keys and the key lookup, in the single table."""

from __future__ import annotations

import builtins
import json
from typing import Any, cast

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.platform.auth import KeyGrant
from chalicelib.platform.dynamo import BaseRecord, UnitOfWork, query_rows
from chalicelib.platform.errors import ConflictError, NotFoundError
from chalicelib.platform.events import Event, stage_event
from chalicelib.platform.pagination import Page, paginate
from chalicelib.tenants import keys
from chalicelib.tenants.model import ApiKey, Tenant


class TenantRecord(BaseRecord):
    doc = JSONAttribute()
    version = NumberAttribute()


class CnpjClaimRecord(BaseRecord):
    tenant_id = UnicodeAttribute()


class ApiKeyRecord(BaseRecord):
    doc = JSONAttribute()
    key_hash = UnicodeAttribute()


class ApiKeyLookupRecord(BaseRecord):
    tenant_id = UnicodeAttribute()
    key_id = UnicodeAttribute()
    scopes = UnicodeAttribute()


def _tenant_from(record: TenantRecord) -> Tenant:
    # Stored settings are not judged again by rules made stricter since they were saved.
    return Tenant.model_validate({**record.doc, "version": int(record.version)}, context={"stored": True})


def _dump(model: Any) -> dict[str, Any]:
    return cast(dict[str, Any], json.loads(model.model_dump_json()))


class DynamoTenantRepository:
    """Tenants and keys; also the authorizer's `KeyResolver`."""

    def create(self, tenant: Tenant, key: ApiKey, key_hash: str, events: list[Event]) -> None:
        uow = UnitOfWork()
        profile = keys.tenant_profile(tenant.id)
        listing = keys.tenants_index(tenant.id)
        doc = _dump(tenant)
        doc.pop("version")
        uow.put(TenantRecord.at(profile, kind="tenant", doc=doc, version=tenant.version,
                                gsi1pk=listing.pk, gsi1sk=listing.sk),
                condition=TenantRecord.pk.does_not_exist())
        uow.put(CnpjClaimRecord.at(keys.tenant_cnpj_claim(tenant.cnpj), kind="cnpj_claim", tenant_id=tenant.id),
                condition=CnpjClaimRecord.pk.does_not_exist(),
                on_fail=ConflictError(f"A tenant with CNPJ {tenant.cnpj} already exists."))
        self._stage_key(uow, tenant.id, key, key_hash)
        for event in events:
            stage_event(uow, event)
        uow.commit()

    def get(self, tenant_id: str) -> Tenant:
        key = keys.tenant_profile(tenant_id)
        try:
            return _tenant_from(TenantRecord.get(key.pk, key.sk))
        except TenantRecord.DoesNotExist:
            raise NotFoundError(f"No tenant {tenant_id}.") from None

    def list(self, limit: int, cursor: str | None) -> Page[Tenant]:
        def fetch(n: int, position: dict[str, Any] | None) -> list[tuple[Tenant, dict[str, str]]]:
            rows = query_rows(TenantRecord, "TENANTS", None, n, position, by_gsi1=True, newest_first=True)
            return [(_tenant_from(r), pos) for r, pos in rows]

        return paginate("tenants", limit, cursor, fetch)

    def save(self, tenant: Tenant, expected_version: int, events: builtins.list[Event]) -> None:
        """Replace the tenant document if nobody changed it since `expected_version`."""
        uow = UnitOfWork()
        doc = _dump(tenant)
        doc.pop("version")
        record = TenantRecord.at(keys.tenant_profile(tenant.id))
        uow.update(record, actions=[TenantRecord.doc.set(doc), TenantRecord.version.set(tenant.version)],
                   condition=TenantRecord.version == expected_version,
                   on_fail=ConflictError("The tenant changed concurrently; retry."))
        for event in events:
            stage_event(uow, event)
        uow.commit()

    def add_key(self, tenant_id: str, key: ApiKey, key_hash: str, events: builtins.list[Event]) -> None:
        uow = UnitOfWork()
        self._stage_key(uow, tenant_id, key, key_hash)
        for event in events:
            stage_event(uow, event)
        uow.commit()

    def get_key(self, tenant_id: str, key_id: str) -> tuple[ApiKey, str]:
        key = keys.tenant_api_key(tenant_id, key_id)
        try:
            record = ApiKeyRecord.get(key.pk, key.sk)
        except ApiKeyRecord.DoesNotExist:
            raise NotFoundError(f"No API key {key_id}.") from None
        return ApiKey.model_validate(record.doc), record.key_hash

    def list_keys(self, tenant_id: str, limit: int, cursor: str | None) -> Page[ApiKey]:
        prefix = keys.tenant_api_key_prefix(tenant_id)

        def fetch(n: int, position: dict[str, Any] | None) -> list[tuple[ApiKey, dict[str, str]]]:
            rows = query_rows(ApiKeyRecord, prefix.pk, ApiKeyRecord.sk.startswith(prefix.sk), n, position,
                              newest_first=True)
            return [(ApiKey.model_validate(r.doc), pos) for r, pos in rows]

        return paginate(f"{tenant_id}:api-keys", limit, cursor, fetch)

    def revoke_key(self, tenant_id: str, key: ApiKey, key_hash: str, events: builtins.list[Event]) -> None:
        """Mark the key revoked and drop its lookup in one step: it fails from the next request on."""
        uow = UnitOfWork()
        record = ApiKeyRecord.at(keys.tenant_api_key(tenant_id, key.id))
        uow.update(record, actions=[ApiKeyRecord.doc.set(_dump(key))],
                   condition=ApiKeyRecord.pk.exists(),
                   on_fail=NotFoundError(f"No API key {key.id}."))
        uow.delete(ApiKeyLookupRecord.at(keys.api_key_lookup(key_hash)),
                   condition=ApiKeyLookupRecord.pk.exists(),
                   on_fail=ConflictError(f"API key {key.id} was revoked concurrently."))
        for event in events:
            stage_event(uow, event)
        uow.commit()

    def find_by_hash(self, key_hash: str) -> KeyGrant | None:
        key = keys.api_key_lookup(key_hash)
        try:
            record = ApiKeyLookupRecord.get(key.pk, key.sk, consistent_read=True)
        except ApiKeyLookupRecord.DoesNotExist:
            return None
        return KeyGrant(tenant_id=record.tenant_id, key_id=record.key_id, scopes=frozenset(record.scopes.split()))

    @staticmethod
    def _stage_key(uow: UnitOfWork, tenant_id: str, key: ApiKey, key_hash: str) -> None:
        uow.put(ApiKeyRecord.at(keys.tenant_api_key(tenant_id, key.id), kind="api_key", doc=_dump(key),
                                key_hash=key_hash),
                condition=ApiKeyRecord.pk.does_not_exist())
        uow.put(ApiKeyLookupRecord.at(keys.api_key_lookup(key_hash), kind="api_key_lookup", tenant_id=tenant_id,
                                      key_id=key.id, scopes=" ".join(key.scopes)),
                condition=ApiKeyLookupRecord.pk.does_not_exist())
