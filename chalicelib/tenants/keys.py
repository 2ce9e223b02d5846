"""The tenants context's DynamoDB keys: the tenants, their API keys and the platform-wide lookups they own (key hash, CNPJ).
Only this context's repository uses them."""

from __future__ import annotations

from chalicelib.platform.keys import Key, claim, part, tenant_item, tenant_partition

claim("tenants", "APIKEY#", "CNPJ#", "TENANT", "KEY#", "TENANTS")


def api_key_lookup(key_hash: str) -> Key:
    return Key(f"APIKEY#{part(key_hash)}", "APIKEY")


def tenant_cnpj_claim(cnpj: str) -> Key:
    """One tenant per CNPJ: a platform-wide uniqueness claim."""
    return Key(f"CNPJ#{part(cnpj)}", "CNPJ")


def tenant_profile(tenant_id: str) -> Key:
    return Key(tenant_partition(tenant_id), "TENANT")


def tenant_api_key(tenant_id: str, key_id: str) -> Key:
    return tenant_item(tenant_id, "KEY#", key_id)


def tenant_api_key_prefix(tenant_id: str) -> Key:
    return tenant_item(tenant_id, "KEY#")


def tenants_index(tenant_id: str) -> Key:
    """GSI1 entry listing every tenant (admin views), newest id last."""
    return Key("TENANTS", part(tenant_id))
