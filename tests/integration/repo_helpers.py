"""Shared by the repository behaviour suites: a tenant of its own, and a listing read to its end."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from chalicelib.platform.pagination import Page

T = TypeVar("T")


def new_tenant(cnpj: str = "11222333000181") -> str:
    from chalicelib.tenants import service
    from tests.api.conftest import tenant_body
    from tests.deps import root

    tenant, _, _ = service.create_tenant(service.NewTenant(**tenant_body(cnpj=cnpj)), root().tenants)
    return tenant.id


def read_all(page_of: Callable[[int, str | None], Page[T]], limit: int) -> list[T]:
    """Every item of a listing, `limit` at a time, following the cursors to the end."""
    seen: list[T] = []
    cursor: str | None = None
    while True:
        page = page_of(limit, cursor)
        assert len(page.items) <= limit
        seen += page.items
        cursor = page.next_cursor
        if cursor is None:
            return seen


def event_types(tenant_id: str) -> list[str]:
    from tests.deps import root

    page: Page[Any] = root().event_log.list(tenant_id, None, 100, None)
    return sorted(event.type for event, _ in page.items)
