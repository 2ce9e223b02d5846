"""Use cases of the tenants context. Each takes its ports and runs one transaction."""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import ValidationError

from chalicelib.brazil.taxes import tax_rules_problems
from chalicelib.platform.auth import Principal, display_prefix, hash_key, new_secret
from chalicelib.platform.clock import Clock, rfc3339
from chalicelib.platform.errors import (
    FieldError,
    ForbiddenError,
    InvalidRequestError,
    InvalidStateError,
    NotFoundError,
    validation_errors,
)
from chalicelib.platform.events import Event, EventFactory
from chalicelib.platform.ids import IdGenerator, is_id
from chalicelib.platform.pagination import Page
from chalicelib.tenants.model import (
    LATE_TERMS,
    ApiKey,
    CertificateInfo,
    CollectionsRules,
    DunningRules,
    Tenant,
    TenantSettings,
    default_settings,
    merge,
    validate_scopes,
)


class TenantRepository(Protocol):
    def create(self, tenant: Tenant, key: ApiKey, key_hash: str, events: list[Event]) -> None: ...
    def get(self, tenant_id: str) -> Tenant: ...
    def list(self, limit: int, cursor: str | None) -> Page[Tenant]: ...
    def save(self, tenant: Tenant, expected_version: int, events: builtins.list[Event]) -> None: ...
    def add_key(self, tenant_id: str, key: ApiKey, key_hash: str, events: builtins.list[Event]) -> None: ...
    def get_key(self, tenant_id: str, key_id: str) -> tuple[ApiKey, str]: ...
    def list_keys(self, tenant_id: str, limit: int, cursor: str | None) -> Page[ApiKey]: ...
    def revoke_key(self, tenant_id: str, key: ApiKey, key_hash: str, events: builtins.list[Event]) -> None: ...


@dataclass(frozen=True)
class TenantDeps:
    repo: TenantRepository
    ids: IdGenerator
    clock: Clock
    events: EventFactory
    key_environment: str = "live"
    # (tenant_id, pfx_base64, password) -> CertificateInfo fields; validates and stores the A1.
    certificates: Callable[[str, str, str], dict[str, Any]] | None = None
    # (tenant_id, provider name): raise when the tenant cannot charge through that provider yet.
    provider_ready: Callable[[str, str], None] | None = None
    # The collections context's judgement of `settings.collections` (banks, agreements, Pix keys).
    collections_rules: CollectionsRules | None = None
    dunning_rules: DunningRules | None = None


@dataclass(frozen=True)
class NewTenant:
    name: str
    legal_name: str
    cnpj: str
    state_registration: str
    email: str
    tax_regime: str
    address: dict[str, Any]


def _public_key(key: ApiKey) -> dict[str, Any]:
    return {"id": key.id, "name": key.name, "scopes": key.scopes, "prefix": key.prefix}


def _issue_key(deps: TenantDeps, name: str, scopes: list[str]) -> tuple[ApiKey, str]:
    secret = new_secret(deps.key_environment)
    key = ApiKey(id=deps.ids.new("key"), name=name, scopes=scopes, prefix=display_prefix(secret),
                 created_at=rfc3339(deps.clock.now()))
    return key, secret


def create_tenant(cmd: NewTenant, deps: TenantDeps) -> tuple[Tenant, ApiKey, str]:
    """Onboard a company: its profile, default settings and a full-access key, in one step."""
    now = rfc3339(deps.clock.now())
    tenant = Tenant(id=deps.ids.new("ten"), name=cmd.name, legal_name=cmd.legal_name, cnpj=cmd.cnpj,
                    state_registration=cmd.state_registration, email=cmd.email, tax_regime=cmd.tax_regime,  # type: ignore[arg-type]
                    address=cmd.address, created_at=now,  # type: ignore[arg-type]
                    settings=default_settings(cmd.cnpj, cmd.email))
    key, secret = _issue_key(deps, "Default key", ["*"])
    events = [
        deps.events.make(tenant.id, "tenant.created", {
            "tenant": tenant.model_dump(mode="json", exclude={"settings", "version"})}),
        deps.events.make(tenant.id, "api_key.created", _public_key(key)),
    ]
    deps.repo.create(tenant, key, hash_key(secret), events)
    return tenant, key, secret


def update_settings(tenant_id: str, patch: dict[str, Any], deps: TenantDeps) -> Tenant:
    """Merge a partial settings document into the tenant's, validate the result, save it."""
    tenant = deps.repo.get(tenant_id)
    current = json.loads(tenant.settings.model_dump_json())
    patch = json.loads(json.dumps(patch))
    moved = _late_terms_to_collections(patch)
    upload = (patch.get("invoicing") or {}).pop("certificate", "absent")
    if upload is None:
        raise InvalidRequestError("A certificate is replaced by uploading another one.",
                                  [FieldError("invoicing.certificate", "send {pfx_base64, password}")])
    merged = merge(current, patch)
    if upload == "absent" and merged == current:
        return tenant  # nothing changes: nothing to save, no event
    errors = []
    try:
        # Sections the patch does not touch are judged as stored (a rule made stricter since they were
        # saved must not block an unrelated change); the sections it touches, by every rule.
        settings = TenantSettings.model_validate(merged, context={"stored": True})
    except ValidationError as exc:
        raise InvalidRequestError("Some settings are invalid.", validation_errors(exc)) from None
    for section in patch:
        if section in TenantSettings.model_fields:
            try:
                type(getattr(settings, section)).model_validate(
                    merged[section], context={"collections_rules": deps.collections_rules,
                                              "dunning_rules": deps.dunning_rules})
            except ValidationError as exc:
                errors += validation_errors(exc, prefix=section)
    if errors:
        # a late term sent under `dunning` is judged in `collections`, its home: named as it was sent
        raise InvalidRequestError("Some settings are invalid.", [
            FieldError(f"dunning.{e.field.removeprefix('collections.')}", e.message)
            if e.field.removeprefix("collections.") in moved else e for e in errors])
    if upload == "absent" and settings == tenant.settings:
        return tenant  # the same settings, written another way (2 for 2.0, say)
    _check_production_needs_a_certificate(settings, uploading=upload != "absent")
    if settings.invoicing.tax != tenant.settings.invoicing.tax:
        problems = tax_rules_problems(tenant.tax_regime, settings.invoicing.tax)
        if problems:
            raise InvalidRequestError("The tax rules do not fit the tenant's tax regime.",
                                      [FieldError(f"invoicing.tax.{name}", message) for name, message in problems])
    if settings.collections.provider != tenant.settings.collections.provider and deps.provider_ready is not None:
        deps.provider_ready(tenant_id, settings.collections.provider)
    if upload != "absent":
        # Validated and stored only once the rest of the patch is known to be valid.
        assert deps.certificates is not None, "certificate uploads need the invoicing context"
        info = deps.certificates(tenant_id, upload["pfx_base64"], upload["password"])
        settings = settings.model_copy(update={"invoicing": settings.invoicing.model_copy(
            update={"certificate": CertificateInfo.model_validate(info)})})
    updated = tenant.model_copy(update={"settings": settings, "version": tenant.version + 1})
    # The sections that changed, not merely the ones sent.
    changed = sorted({section for section in merged if merged[section] != current.get(section)}
                     | ({"invoicing"} if upload != "absent" else set()))
    event = deps.events.make(tenant_id, "tenant.settings_updated", {"sections": changed})
    deps.repo.save(updated, tenant.version, [event])
    return updated


def _late_terms_to_collections(patch: dict[str, Any]) -> set[str]:
    """Move the fine and interest a patch sends under `dunning` to `collections`, where they are stored
    (one setting, two ways to reach it); the names moved. Sent both ways with two values: 400."""
    dunning = patch.get("dunning")
    if not isinstance(dunning, dict):
        return set()
    terms = {name: dunning.pop(name) for name in LATE_TERMS if name in dunning}
    if not terms:
        return set()
    collections = patch.get("collections") or {}
    clashes = [FieldError(f"dunning.{name}", f"disagrees with collections.{name}: the two are one setting")
               for name, value in terms.items() if name in collections and collections[name] != value]
    if clashes:
        raise InvalidRequestError("The dunning policy's late terms are the collections terms.", clashes)
    patch["collections"] = {**collections, **terms}
    if not dunning:
        del patch["dunning"]
    return set(terms) - set(collections)


def _check_production_needs_a_certificate(settings: TenantSettings, *, uploading: bool) -> None:
    """NF-e in produção have legal value: they are signed only with the company's own A1
    certificate, never with the generated test one. Checked on the merged settings, so a
    tenant cannot reach `producao` by any order of patches."""
    certificate = settings.invoicing.certificate
    if uploading or (certificate is not None and certificate.source == "uploaded"):
        return
    if settings.invoicing.environment == "producao":
        raise InvalidRequestError("Production needs the company's A1 certificate.", [FieldError(
            "invoicing.environment", "upload the A1 certificate first (invoicing.certificate), then switch to producao")])
    if settings.invoicing.authority == "sefaz":  # SEFAZ refuses the generated test certificate (rejeição 280)
        raise InvalidRequestError("SEFAZ needs the company's A1 certificate.", [FieldError(
            "invoicing.authority", "upload the A1 certificate first (invoicing.certificate), then switch to sefaz")])


def create_api_key(principal: Principal, name: str, scopes: list[str], deps: TenantDeps) -> tuple[ApiKey, str]:
    """A new key for the caller's tenant, never with more power than the caller's key."""
    assert principal.tenant_id is not None
    try:
        wanted = validate_scopes(scopes)
    except ValueError as exc:
        raise InvalidRequestError("Some fields are invalid.", [FieldError("scopes", str(exc))]) from None
    if not principal.grants(set(wanted)):
        raise ForbiddenError("A key cannot grant scopes its creator does not hold.",
                             [FieldError("scopes", "exceed the calling key's scopes")])
    key, secret = _issue_key(deps, name, wanted)
    event = deps.events.make(principal.tenant_id, "api_key.created", _public_key(key))
    deps.repo.add_key(principal.tenant_id, key, hash_key(secret), [event])
    return key, secret


def revoke_api_key(tenant_id: str, key_id: str, deps: TenantDeps) -> ApiKey:
    """Revoke a key: from the next request on, it answers 401."""
    if not is_id(key_id, "key"):
        raise NotFoundError(f"No API key {key_id}.")
    key, key_hash = deps.repo.get_key(tenant_id, key_id)
    if not key.active:
        raise InvalidStateError(f"API key {key_id} is already revoked.")
    revoked = key.model_copy(update={"revoked_at": rfc3339(deps.clock.now())})
    event = deps.events.make(tenant_id, "api_key.revoked", {"id": key_id, "name": key.name})
    deps.repo.revoke_key(tenant_id, revoked, key_hash, [event])
    return revoked
