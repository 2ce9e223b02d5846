"""Customers (with a per-tenant document claim) and products (keyed by SKU) in the single table."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.catalog import keys
from chalicelib.catalog.model import Customer, Product
from chalicelib.platform.dynamo import BaseRecord, UnitOfWork, get_item, query_rows
from chalicelib.platform.errors import ConflictError, FieldError, NotFoundError
from chalicelib.platform.ids import is_id
from chalicelib.platform.pagination import Page, paginate


class CustomerRecord(BaseRecord):
    doc = JSONAttribute()
    version = NumberAttribute()


class CustomerDocumentClaimRecord(BaseRecord):
    customer_id = UnicodeAttribute()


class ProductRecord(BaseRecord):
    doc = JSONAttribute()
    version = NumberAttribute()


def _dump(model: Any) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(model.model_dump_json())
    doc.pop("version", None)
    return doc


def _customer_from(record: CustomerRecord) -> Customer:
    # Stored addresses are not judged again by rules made stricter since (the IBGE check digit).
    return Customer.model_validate({**record.doc, "version": int(record.version)}, context={"stored": True})


def _product_from(record: ProductRecord) -> Product:
    return Product.model_validate({**record.doc, "version": int(record.version)})


def _duplicate_document(document: str) -> ConflictError:
    return ConflictError(f"A customer with document {document} already exists.",
                         [FieldError("document", "is already used by another customer")])


class DynamoCatalogRepository:
    # Customers
    def stage_new_customer(self, uow: UnitOfWork, tenant_id: str, customer: Customer) -> None:
        uow.put(CustomerRecord.at(keys.customer(tenant_id, customer.id), kind="customer", doc=_dump(customer),
                                  version=customer.version),
                condition=CustomerRecord.pk.does_not_exist())
        self._stage_claim(uow, tenant_id, customer)

    def stage_customer_update(self, uow: UnitOfWork, tenant_id: str, customer: Customer, expected_version: int,
                              previous_document: str) -> None:
        uow.update(CustomerRecord.at(keys.customer(tenant_id, customer.id)),
                   actions=[CustomerRecord.doc.set(_dump(customer)), CustomerRecord.version.set(customer.version)],
                   condition=CustomerRecord.version == expected_version,
                   on_fail=ConflictError(f"Customer {customer.id} changed concurrently; retry."))
        if customer.document != previous_document:
            old = CustomerDocumentClaimRecord.at(keys.customer_document_claim(tenant_id, previous_document))
            uow.delete(old, condition=CustomerDocumentClaimRecord.customer_id == customer.id,
                       on_fail=ConflictError(f"Customer {customer.id} changed concurrently; retry."))
            self._stage_claim(uow, tenant_id, customer)

    @staticmethod
    def _stage_claim(uow: UnitOfWork, tenant_id: str, customer: Customer) -> None:
        claim = keys.customer_document_claim(tenant_id, customer.document)
        uow.put(CustomerDocumentClaimRecord.at(claim, kind="customer_document", customer_id=customer.id),
                condition=CustomerDocumentClaimRecord.pk.does_not_exist(),
                on_fail=_duplicate_document(customer.document))

    def get_customer(self, tenant_id: str, customer_id: str) -> Customer:
        key = keys.customer(tenant_id, customer_id) if is_id(customer_id, "cus") else None
        return _customer_from(get_item(CustomerRecord, key, NotFoundError(f"No customer {customer_id}."),
                                       consistent_read=False))

    def find_customer_by_document(self, tenant_id: str, document: str) -> Customer | None:
        key = keys.customer_document_claim(tenant_id, document)
        try:
            claim = CustomerDocumentClaimRecord.get(key.pk, key.sk)
        except CustomerDocumentClaimRecord.DoesNotExist:
            return None
        return self.get_customer(tenant_id, claim.customer_id)

    def list_customers(self, tenant_id: str, limit: int, cursor: str | None) -> Page[Customer]:
        prefix = keys.customer_prefix(tenant_id)

        def fetch(n: int, position: dict[str, Any] | None) -> list[tuple[Customer, dict[str, str]]]:
            rows = query_rows(CustomerRecord, prefix.pk, CustomerRecord.sk.startswith(prefix.sk), n, position,
                              newest_first=True)
            return [(_customer_from(r), pos) for r, pos in rows]

        return paginate(f"{tenant_id}:customers", limit, cursor, fetch)

    # Products
    def stage_new_product(self, uow: UnitOfWork, tenant_id: str, product: Product) -> None:
        uow.put(ProductRecord.at(keys.product(tenant_id, product.sku), kind="product", doc=_dump(product),
                                 version=product.version),
                condition=ProductRecord.pk.does_not_exist(),
                on_fail=ConflictError(f"A product with SKU {product.sku} already exists.",
                                             [FieldError("sku", "is already used by another product")]))

    def stage_product_update(self, uow: UnitOfWork, tenant_id: str, product: Product, expected_version: int) -> None:
        uow.update(ProductRecord.at(keys.product(tenant_id, product.sku)),
                   actions=[ProductRecord.doc.set(_dump(product)), ProductRecord.version.set(product.version)],
                   condition=ProductRecord.version == expected_version,
                   on_fail=ConflictError(f"Product {product.sku} changed concurrently; retry."))

    def get_product(self, tenant_id: str, sku: str) -> Product:
        key = keys.product(tenant_id, sku)
        try:
            return _product_from(ProductRecord.get(key.pk, key.sk))
        except ProductRecord.DoesNotExist:
            raise NotFoundError(f"No product with SKU {sku}.") from None

    def get_products(self, tenant_id: str, skus: Iterable[str]) -> dict[str, Product]:
        wanted = sorted(set(skus))
        found: dict[str, Product] = {}
        for start in range(0, len(wanted), 100):
            batch = [keys.product(tenant_id, sku) for sku in wanted[start:start + 100]]
            for record in ProductRecord.batch_get([(k.pk, k.sk) for k in batch]):
                product = _product_from(record)
                found[product.sku] = product
        return found

    def list_products(self, tenant_id: str, limit: int, cursor: str | None) -> Page[Product]:
        prefix = keys.product_prefix(tenant_id)

        def fetch(n: int, position: dict[str, Any] | None) -> list[tuple[Product, dict[str, str]]]:
            rows = query_rows(ProductRecord, prefix.pk, ProductRecord.sk.startswith(prefix.sk), n, position)
            return [(_product_from(r), pos) for r, pos in rows]

        return paginate(f"{tenant_id}:products", limit, cursor, fetch)
