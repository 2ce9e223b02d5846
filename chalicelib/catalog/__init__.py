"""Catalog: customers and products.

Other contexts read them through these functions, never through the repository.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chalicelib.catalog.model import MAX_QUANTITY, Sku, is_sku

if TYPE_CHECKING:
    from chalicelib.catalog.model import Customer, Product

__all__ = ["MAX_QUANTITY", "Sku", "get_customer", "get_product", "get_products", "is_sku"]


def get_customer(tenant_id: str, customer_id: str) -> Customer:
    """The customer, or NotFoundError (also for a malformed id)."""
    from chalicelib import bootstrap

    return bootstrap.catalog_repository().get_customer(tenant_id, customer_id)  # type: ignore[no-any-return]


def get_product(tenant_id: str, sku: str) -> Product:
    """The product, or NotFoundError."""
    from chalicelib import bootstrap

    return bootstrap.catalog_repository().get_product(tenant_id, sku)  # type: ignore[no-any-return]


def get_products(tenant_id: str, skus: list[str]) -> dict[str, Product]:
    """The products that exist among `skus` (one BatchGetItem per 100), keyed by SKU."""
    from chalicelib import bootstrap

    return bootstrap.catalog_repository().get_products(tenant_id, skus)  # type: ignore[no-any-return]
