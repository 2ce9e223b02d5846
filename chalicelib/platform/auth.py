"""API-key authentication: a Chalice built-in authorizer and the principal it yields.

Keys are never stored in clear: the authorizer looks a presented key up by its SHA-256.
It answers with an explicit Deny for a missing, unknown or revoked key; API Gateway
turns that into its ACCESS_DENIED response, which the gateway responses (infra/ in AWS,
`local/gateway.py` locally) render as 401 problem+json. Its result is not cached
(`ttl_seconds=0`) so that a revoked key fails on its very next request.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from chalice.app import AuthRequest, AuthResponse, Blueprint

from chalicelib.platform.config import get_settings

AREAS = ("catalog", "stock", "orders", "invoices", "charges", "ledger", "reconciliation", "payables", "purchasing", "reports",
         "settings", "webhooks")
ALL_SCOPES = frozenset({"*"} | {f"{area}:{level}" for area in AREAS for level in ("read", "write")})
KEY_PREFIX = "rtg_"


@dataclass(frozen=True)
class Principal:
    """Who is calling: the platform admin, or a tenant's key with its scopes."""

    is_admin: bool
    tenant_id: str | None
    key_id: str | None
    scopes: frozenset[str]

    def allows(self, scope: str) -> bool:
        if "*" in self.scopes or scope in self.scopes:
            return True
        area, _, level = scope.partition(":")
        return level == "read" and f"{area}:write" in self.scopes

    def grants(self, scopes: set[str] | frozenset[str]) -> bool:
        """True when this principal holds every scope in `scopes` (no escalation)."""
        if "*" in self.scopes:
            return True
        return "*" not in scopes and all(self.allows(scope) for scope in scopes)


@dataclass(frozen=True)
class KeyGrant:
    """What a stored key grants."""

    tenant_id: str
    key_id: str
    scopes: frozenset[str]


class KeyResolver(Protocol):
    """Port: finds the live key with this hash."""

    def find_by_hash(self, key_hash: str) -> KeyGrant | None: ...


def hash_key(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_secret(environment: str = "live") -> str:
    return f"{KEY_PREFIX}{environment}_{secrets.token_urlsafe(32)}"


def display_prefix(secret: str) -> str:
    """The part of a key that is safe to show again ('rtg_live_AbCd')."""
    return secret[: secret.index("_", len(KEY_PREFIX)) + 5]


def bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or len(token) > 512:
        return None
    return token


def resolve_principal(token: str | None, resolver: KeyResolver) -> Principal | None:
    if token is None:
        return None
    admin_key = get_settings().admin_api_key
    if admin_key and hmac.compare_digest(token.encode(), admin_key.encode()):
        return Principal(is_admin=True, tenant_id=None, key_id=None, scopes=frozenset({"admin"}))
    if not token.startswith(KEY_PREFIX):
        return None
    grant = resolver.find_by_hash(hash_key(token))
    if grant is None:
        return None
    return Principal(is_admin=False, tenant_id=grant.tenant_id, key_id=grant.key_id, scopes=grant.scopes)


def _deny(request: AuthRequest) -> dict[str, Any]:
    return {
        "principalId": "anonymous",
        "policyDocument": {"Version": "2012-10-17", "Statement": [
            {"Action": "execute-api:Invoke", "Effect": "Deny", "Resource": [request.method_arn]}]},
        "context": {},
    }


auth_blueprint = Blueprint(__name__)
_key_resolvers: list[Callable[[], KeyResolver]] = []


def provide_key_resolver(resolver: Callable[[], KeyResolver]) -> None:
    """The entry point's way to hand the authorizer the tenants' key store."""
    _key_resolvers[:] = [resolver]


@auth_blueprint.authorizer(ttl_seconds=0, name="api_key_authorizer")
def api_key_authorizer(auth_request: AuthRequest) -> Any:
    if not _key_resolvers:
        raise RuntimeError("no key resolver provided; the entry point must call provide_key_resolver()")
    principal = resolve_principal(bearer_token(auth_request.token), _key_resolvers[0]())
    if principal is None:
        return _deny(auth_request)
    context = {
        "kind": "admin" if principal.is_admin else "tenant",
        "tenant_id": principal.tenant_id or "",
        "key_id": principal.key_id or "",
        "scopes": " ".join(sorted(principal.scopes)),
    }
    return AuthResponse(routes=["*"], principal_id=principal.tenant_id or "admin", context=context)


AUTHORIZER = api_key_authorizer


def principal_from_context(context: dict[str, Any] | None) -> Principal:
    """The principal the authorizer put in the request context; nothing else is trusted."""
    from chalicelib.platform.errors import UnauthenticatedError

    auth = (context or {}).get("authorizer") or {}
    kind = auth.get("kind")
    if kind == "admin":
        return Principal(is_admin=True, tenant_id=None, key_id=None, scopes=frozenset({"admin"}))
    if kind == "tenant" and auth.get("tenant_id"):
        return Principal(is_admin=False, tenant_id=auth["tenant_id"], key_id=auth.get("key_id") or None,
                         scopes=frozenset(str(auth.get("scopes", "")).split()))
    raise UnauthenticatedError("A valid API key is required.")
