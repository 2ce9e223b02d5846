"""Customers and suppliers (each with a per-tenant document claim) and products (keyed by SKU) in the single
table."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute

from chalicelib.catalog import keys
from chalicelib.catalog.model import Customer, Product, Supplier
from chalicelib.platform.dynamo import BaseRecord, UnitOfWork, batch_get, get_item, query_rows
from chalicelib.platform.errors import ConflictError, FieldError, NotFoundError
from chalicelib.platform.ids import is_id
from chalicelib.platform.keys import Key
from chalicelib.platform.pagination import Page, paginate


class CustomerRecord(BaseRecord):
    doc = JSONAttribute()
    version = NumberAttribute()


class CustomerDocumentClaimRecord(BaseRecord):
    party_id = UnicodeAttribute(attr_name="customer_id")  # the customer's (or the supplier's) id


class ProductRecord(BaseRecord):
    doc = JSONAttribute()
    version = NumberAttribute()


def _dump(model: Any) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(model.model_dump_json())
    doc.pop("version", None)
    return doc


def _gtin_index(tenant_id: str, product: Product) -> Key | None:
    if not product.gtin or product.gtin == "SEM GTIN":
        return None
    return keys.gtin_index(tenant_id, product.gtin, product.sku)


def _product_from(record: ProductRecord) -> Product:
    return Product.model_validate({**record.doc, "version": int(record.version)})


Party = TypeVar("Party", Customer, Supplier)


@dataclass(frozen=True)
class _Parties(Generic[Party]):
    """Customers and suppliers are stored alike: an item per party, and a claim of its CPF/CNPJ."""

    noun: str
    id_prefix: str
    model: type[Party]
    item: Callable[[str, str], Key]
    listing: Callable[[str], Key]
    claim: Callable[[str, str], Key]

    def load(self, record: CustomerRecord) -> Party:
        # Stored addresses are not judged again by rules made stricter since (the IBGE check digit).
        return self.model.model_validate({**record.doc, "version": int(record.version)}, context={"stored": True})

    def stage_new(self, uow: UnitOfWork, tenant_id: str, party: Party) -> None:
        uow.put(CustomerRecord.at(self.item(tenant_id, party.id), kind=self.noun, doc=_dump(party),
                                  version=party.version),
                condition=CustomerRecord.pk.does_not_exist())
        self._stage_claim(uow, tenant_id, party)

    def stage_update(self, uow: UnitOfWork, tenant_id: str, party: Party, expected_version: int,
                     previous_document: str) -> None:
        changed = ConflictError(f"{self.noun.capitalize()} {party.id} changed concurrently; retry.")
        uow.update(CustomerRecord.at(self.item(tenant_id, party.id)),
                   actions=[CustomerRecord.doc.set(_dump(party)), CustomerRecord.version.set(party.version)],
                   condition=CustomerRecord.version == expected_version, on_fail=changed)
        if party.document != previous_document:
            old = CustomerDocumentClaimRecord.at(self.claim(tenant_id, previous_document))
            uow.delete(old, condition=CustomerDocumentClaimRecord.party_id == party.id, on_fail=changed)
            self._stage_claim(uow, tenant_id, party)

    def _stage_claim(self, uow: UnitOfWork, tenant_id: str, party: Party) -> None:
        uow.put(CustomerDocumentClaimRecord.at(self.claim(tenant_id, party.document), kind=f"{self.noun}_document",
                                               party_id=party.id),
                condition=CustomerDocumentClaimRecord.pk.does_not_exist(),
                on_fail=ConflictError(f"A {self.noun} with document {party.document} already exists.",
                                      [FieldError("document", f"is already used by another {self.noun}")]))

    def get(self, tenant_id: str, party_id: str) -> Party:
        key = self.item(tenant_id, party_id) if is_id(party_id, self.id_prefix) else None
        return self.load(get_item(CustomerRecord, key, NotFoundError(f"No {self.noun} {party_id}."),
                                  consistent_read=False))

    def find_by_document(self, tenant_id: str, document: str) -> Party | None:
        key = self.claim(tenant_id, document)
        try:
            claim = CustomerDocumentClaimRecord.get(key.pk, key.sk)
        except CustomerDocumentClaimRecord.DoesNotExist:
            return None
        return self.get(tenant_id, claim.party_id)

    def list(self, tenant_id: str, limit: int, cursor: str | None) -> Page[Party]:
        prefix = self.listing(tenant_id)

        def fetch(n: int, position: dict[str, Any] | None) -> list[tuple[Party, dict[str, str]]]:
            rows = query_rows(CustomerRecord, prefix.pk, CustomerRecord.sk.startswith(prefix.sk), n, position,
                              newest_first=True)
            return [(self.load(r), pos) for r, pos in rows]

        return paginate(f"{tenant_id}:{self.noun}s", limit, cursor, fetch)


CUSTOMERS = _Parties("customer", "cus", Customer, keys.customer, keys.customer_prefix, keys.customer_document_claim)
SUPPLIERS = _Parties("supplier", "sup", Supplier, keys.supplier, keys.supplier_prefix, keys.supplier_document_claim)


class DynamoCatalogRepository:
    # Customers
    def stage_new_customer(self, uow: UnitOfWork, tenant_id: str, customer: Customer) -> None:
        CUSTOMERS.stage_new(uow, tenant_id, customer)

    def stage_customer_update(self, uow: UnitOfWork, tenant_id: str, customer: Customer, expected_version: int,
                              previous_document: str) -> None:
        CUSTOMERS.stage_update(uow, tenant_id, customer, expected_version, previous_document)

    def get_customer(self, tenant_id: str, customer_id: str) -> Customer:
        return CUSTOMERS.get(tenant_id, customer_id)

    def find_customer_by_document(self, tenant_id: str, document: str) -> Customer | None:
        return CUSTOMERS.find_by_document(tenant_id, document)

    def list_customers(self, tenant_id: str, limit: int, cursor: str | None) -> Page[Customer]:
        return CUSTOMERS.list(tenant_id, limit, cursor)

    # Suppliers
    def stage_new_supplier(self, uow: UnitOfWork, tenant_id: str, supplier: Supplier) -> None:
        SUPPLIERS.stage_new(uow, tenant_id, supplier)

    def stage_supplier_update(self, uow: UnitOfWork, tenant_id: str, supplier: Supplier, expected_version: int,
                              previous_document: str) -> None:
        SUPPLIERS.stage_update(uow, tenant_id, supplier, expected_version, previous_document)

    def get_supplier(self, tenant_id: str, supplier_id: str) -> Supplier:
        return SUPPLIERS.get(tenant_id, supplier_id)

    def find_supplier_by_document(self, tenant_id: str, document: str) -> Supplier | None:
        return SUPPLIERS.find_by_document(tenant_id, document)

    def list_suppliers(self, tenant_id: str, limit: int, cursor: str | None) -> Page[Supplier]:
        return SUPPLIERS.list(tenant_id, limit, cursor)

    # Products
    def stage_new_product(self, uow: UnitOfWork, tenant_id: str, product: Product) -> None:
        index = _gtin_index(tenant_id, product)
        uow.put(ProductRecord.at(keys.product(tenant_id, product.sku), kind="product", doc=_dump(product),
                                 version=product.version, gsi1pk=index.pk if index else None,
                                 gsi1sk=index.sk if index else None),
                condition=ProductRecord.pk.does_not_exist(),
                on_fail=ConflictError(f"A product with SKU {product.sku} already exists.",
                                             [FieldError("sku", "is already used by another product")]))

    def stage_product_update(self, uow: UnitOfWork, tenant_id: str, product: Product, expected_version: int) -> None:
        index = _gtin_index(tenant_id, product)
        uow.update(ProductRecord.at(keys.product(tenant_id, product.sku)),
                   actions=[ProductRecord.doc.set(_dump(product)), ProductRecord.version.set(product.version),
                            *([ProductRecord.gsi1pk.set(index.pk), ProductRecord.gsi1sk.set(index.sk)] if index
                              else [ProductRecord.gsi1pk.remove(), ProductRecord.gsi1sk.remove()])],
                   condition=ProductRecord.version == expected_version,
                   on_fail=ConflictError(f"Product {product.sku} changed concurrently; retry."))

    def get_product(self, tenant_id: str, sku: str) -> Product:
        key = keys.product(tenant_id, sku)
        try:
            return _product_from(ProductRecord.get(key.pk, key.sk))
        except ProductRecord.DoesNotExist:
            raise NotFoundError(f"No product with SKU {sku}.") from None

    def get_products(self, tenant_id: str, skus: Iterable[str]) -> dict[str, Product]:
        wanted = [keys.product(tenant_id, sku) for sku in sorted(set(skus))]
        return {product.sku: product for product in map(_product_from, batch_get(ProductRecord, wanted))}

    def skus_by_gtin(self, tenant_id: str, gtin: str) -> list[str]:
        """The SKUs whose product carries this GTIN (GSI1, sparse), oldest first."""
        index = keys.gtin_index(tenant_id, gtin, "")
        return [str(r.doc["sku"]) for r, _ in query_rows(ProductRecord, index.pk, None, 10, None, by_gsi1=True)]

    def list_products(self, tenant_id: str, limit: int, cursor: str | None) -> Page[Product]:
        prefix = keys.product_prefix(tenant_id)

        def fetch(n: int, position: dict[str, Any] | None) -> list[tuple[Product, dict[str, str]]]:
            rows = query_rows(ProductRecord, prefix.pk, ProductRecord.sk.startswith(prefix.sk), n, position)
            return [(_product_from(r), pos) for r, pos in rows]

        return paginate(f"{tenant_id}:products", limit, cursor, fetch)
