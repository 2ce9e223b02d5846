"""Orders: other contexts read an order through `get_order`, never through the repository."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chalicelib.orders.model import Order

__all__ = ["get_order"]


def get_order(tenant_id: str, order_id: str) -> Order:
    """The order (consistent read), or NotFoundError."""
    from chalicelib import bootstrap

    return bootstrap.order_repository().get(tenant_id, order_id)  # type: ignore[no-any-return]
