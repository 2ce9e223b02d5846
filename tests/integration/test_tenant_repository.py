"""The tenant repository's behaviour, the same suite against moto and DynamoDB Local."""

from __future__ import annotations

import pytest

from chalicelib.platform.auth import Principal, hash_key
from chalicelib.platform.errors import ConflictError, NotFoundError
from chalicelib.tenants import service
from tests.api.conftest import tenant_body
from tests.deps import root


def new_tenant(cnpj: str = "11222333000181"):
    return service.create_tenant(service.NewTenant(**tenant_body(cnpj=cnpj)), root().tenants)


def test_a_created_tenant_is_found_with_its_key_by_hash(store):
    tenant, key, secret = new_tenant()
    assert root().tenant_repository.get(tenant.id).cnpj == tenant.cnpj
    grant = root().tenant_repository.find_by_hash(hash_key(secret))
    assert grant.tenant_id == tenant.id and grant.key_id == key.id and grant.scopes == frozenset({"*"})


def test_the_creation_is_atomic_a_duplicate_cnpj_leaves_nothing(store):
    new_tenant()
    with pytest.raises(ConflictError):
        new_tenant()
    assert len(root().tenant_repository.list(100, None).items) == 1


def test_a_revoked_key_is_no_longer_found(store):
    tenant, _, _ = new_tenant()
    principal = Principal(False, tenant.id, None, frozenset({"*"}))
    key, secret = service.create_api_key(principal, "temp", ["orders:read"], root().tenants)
    service.revoke_api_key(tenant.id, key.id, root().tenants)
    assert root().tenant_repository.find_by_hash(hash_key(secret)) is None
    assert root().tenant_repository.get_key(tenant.id, key.id)[0].revoked_at is not None


def test_settings_are_saved_only_over_the_version_they_were_read_at(store):
    tenant, _, _ = new_tenant()
    repo = root().tenant_repository
    stale = repo.get(tenant.id)
    service.update_settings(tenant.id, {"invoicing": {"series": 5}}, root().tenants)
    with pytest.raises(ConflictError):
        repo.save(stale.model_copy(update={"version": stale.version + 1}), stale.version, [])
    assert repo.get(tenant.id).settings.invoicing.series == 5


def test_events_are_written_with_the_change_and_listed_by_type(store):
    tenant, _, _ = new_tenant()
    page = root().event_log.list(tenant.id, None, 10, None)
    assert sorted(e.type for e, _ in page.items) == ["api_key.created", "tenant.created"]
    typed = root().event_log.list(tenant.id, "tenant.created", 10, None)
    assert [e.type for e, _ in typed.items] == ["tenant.created"]


def test_another_tenants_items_are_not_found(store):
    _, first_key, _ = new_tenant()
    second, _, _ = new_tenant("45723174000110")
    with pytest.raises(NotFoundError):
        root().tenant_repository.get_key(second.id, first_key.id)
    assert root().event_log.list(second.id, None, 50, None).items[0][0].tenant_id == second.id
