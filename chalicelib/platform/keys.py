"""DynamoDB keys: the shape every key shares, the tenant-prefix guard, and the registry of prefixes.

Tenant items live under the partition `T#<tenant_id>`: tenancy is structural, since no code path can
reach an item without naming its tenant first. Each context builds its own keys in its `keys.py`, beside
the repository that is their only user, and claims the prefixes it writes with `claim`: two contexts
claiming one prefix, or a prefix that begins another's (a `begins_with` query on one would read the
other's items), fail at import. The platform's own items (events, idempotency records, consumer
markers) are built here.
"""

from __future__ import annotations

from dataclasses import dataclass

TENANT = "T#"
EVENT_PREFIX = "EVT#"


class PrefixClaimedError(RuntimeError):
    """Two contexts would write keys that one query could confuse."""


_CLAIMS: dict[str, str] = {}


def claim(owner: str, *prefixes: str) -> None:
    """Record that `owner` writes keys starting with (or, for `#…` index parts, containing) each prefix."""
    for prefix in prefixes:
        for other, holder in _CLAIMS.items():
            if holder != owner and (other == prefix or other.startswith(prefix) or prefix.startswith(other)):
                raise PrefixClaimedError(f"{owner} claims the key prefix {prefix!r}, but {holder} holds {other!r}")
        _CLAIMS[prefix] = owner


def claims() -> dict[str, str]:
    """Every prefix claimed so far, and who holds it."""
    return dict(_CLAIMS)


claim("platform", TENANT, EVENT_PREFIX, "#EVTTYPE#", "IDEM#", "DONE#", "PLATFORM#")


@dataclass(frozen=True)
class Key:
    pk: str
    sk: str


def tenant_partition(tenant_id: str) -> str:
    """The partition of a tenant's items; refuses an empty id or one that could forge another's."""
    if not tenant_id or "#" in tenant_id:
        raise ValueError("a tenant key needs a tenant id")
    return f"{TENANT}{tenant_id}"


def part(value: str) -> str:
    """A value inside a key. Ids reach keys only after validation; this is the last guard against key injection."""
    if "#" in value:
        raise ValueError("key parts cannot contain '#'")
    return value


def tenant_item(tenant_id: str, prefix: str, *parts: str) -> Key:
    """A tenant's item `prefix` + its parts joined by '#' (none: the prefix, for a `begins_with` listing)."""
    return Key(tenant_partition(tenant_id), prefix + "#".join(part(p) for p in parts))


def tenant_index(tenant_id: str, name: str, value: str, sort: str) -> Key:
    """An index entry of a tenant: partition `T#<tenant>#<name>#<value>`, sorted by `sort`."""
    return Key(f"{tenant_partition(tenant_id)}#{name}#{part(value)}", part(sort))


def tenant_of_partition(pk: str) -> str | None:
    """The tenant id of a tenant partition key, else None."""
    if pk.startswith(TENANT):
        return pk[len(TENANT):].split("#", 1)[0]
    return None


def principal_partition(tenant_id: str | None) -> str:
    """Partition for a caller's own records (idempotency): the tenant's, or the platform's."""
    return tenant_partition(tenant_id) if tenant_id else "PLATFORM#admin"


# Events (the outbox and the tenant's event log are the same items)
def event(tenant_id: str, event_id: str) -> Key:
    return tenant_item(tenant_id, EVENT_PREFIX, event_id)


def event_prefix(tenant_id: str) -> Key:
    return tenant_item(tenant_id, EVENT_PREFIX)


def event_type_index(tenant_id: str, event_type: str, event_id: str) -> Key:
    return tenant_index(tenant_id, "EVTTYPE", event_type, event_id)


# Idempotency and consumer markers
def idempotency(tenant_id: str | None, idempotency_key_hash: str) -> Key:
    return Key(principal_partition(tenant_id), f"IDEM#{part(idempotency_key_hash)}")


def processed_marker(tenant_id: str, consumer: str, event_id: str) -> Key:
    return tenant_item(tenant_id, "DONE#", consumer, event_id)
