"""Tenants: the client companies, their settings and their API keys.

Other contexts read a tenant through `get_tenant`, never through the repository.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.tenants.model import Tenant


def get_tenant(tenant_id: str) -> Tenant:
    from chalicelib import bootstrap

    return bootstrap.tenant_repository().get(tenant_id)  # type: ignore[no-any-return]
