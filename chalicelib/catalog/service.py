"""Use cases of the catalog context. Each runs one transaction (with its event)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from chalicelib import stock
from chalicelib.brazil.taxes import tax_rules_problems
from chalicelib.catalog.model import Customer, Product, Supplier, document_type
from chalicelib.platform.clock import Clock, rfc3339
from chalicelib.platform.dynamo import UnitOfWork
from chalicelib.platform.errors import FieldError, InvalidRequestError, validation_errors
from chalicelib.platform.events import EventFactory, stage_event
from chalicelib.platform.ids import IdGenerator
from chalicelib.platform.pagination import Page
from chalicelib.stock.service import StockDeps

if TYPE_CHECKING:
    from chalicelib.tenants.model import Tenant


class CatalogRepository(Protocol):
    def stage_new_customer(self, uow: UnitOfWork, tenant_id: str, customer: Customer) -> None: ...
    def stage_customer_update(self, uow: UnitOfWork, tenant_id: str, customer: Customer, expected_version: int,
                              previous_document: str) -> None: ...
    def get_customer(self, tenant_id: str, customer_id: str) -> Customer: ...
    def find_customer_by_document(self, tenant_id: str, document: str) -> Customer | None: ...
    def list_customers(self, tenant_id: str, limit: int, cursor: str | None) -> Page[Customer]: ...
    def stage_new_supplier(self, uow: UnitOfWork, tenant_id: str, supplier: Supplier) -> None: ...
    def stage_supplier_update(self, uow: UnitOfWork, tenant_id: str, supplier: Supplier, expected_version: int,
                              previous_document: str) -> None: ...
    def get_supplier(self, tenant_id: str, supplier_id: str) -> Supplier: ...
    def find_supplier_by_document(self, tenant_id: str, document: str) -> Supplier | None: ...
    def list_suppliers(self, tenant_id: str, limit: int, cursor: str | None) -> Page[Supplier]: ...
    def stage_new_product(self, uow: UnitOfWork, tenant_id: str, product: Product) -> None: ...
    def stage_product_update(self, uow: UnitOfWork, tenant_id: str, product: Product, expected_version: int) -> None: ...
    def get_product(self, tenant_id: str, sku: str) -> Product: ...
    def get_products(self, tenant_id: str, skus: Iterable[str]) -> dict[str, Product]: ...
    def skus_by_gtin(self, tenant_id: str, gtin: str) -> list[str]: ...
    def list_products(self, tenant_id: str, limit: int, cursor: str | None) -> Page[Product]: ...


@dataclass(frozen=True)
class CatalogDeps:
    repo: CatalogRepository
    ids: IdGenerator
    clock: Clock
    events: EventFactory
    stock: StockDeps
    tenant: Callable[[str], Tenant]  # the tenants context's reader (tax rules are judged by its regime)


M = TypeVar("M", bound=BaseModel)


def _patched(model: Any, patch: dict[str, Any], cls: type[M]) -> M:
    """The model with `patch` merged in and validated as a whole (a null clears an optional field)."""
    current = json.loads(model.model_dump_json())
    try:
        return cls.model_validate({**current, **patch})
    except ValidationError as exc:
        raise InvalidRequestError("Some fields are invalid.", validation_errors(exc)) from None


P = TypeVar("P", Customer, Supplier)


def _create_party(tenant_id: str, data: dict[str, Any], cls: type[P], noun: str, prefix: str,
                  stage: Callable[[UnitOfWork, str, P], None], deps: CatalogDeps) -> P:
    now = rfc3339(deps.clock.now())
    party = cls.model_validate({**data, "id": deps.ids.new(prefix), "created_at": now, "updated_at": now,
                                "document_type": document_type(data["document"])})
    uow = UnitOfWork()
    stage(uow, tenant_id, party)
    stage_event(uow, deps.events.make(tenant_id, f"{noun}.created", {noun: _public(party)}))
    uow.commit()
    return party


def _update_party(tenant_id: str, current: P, patch: dict[str, Any], noun: str,
                  stage: Callable[[UnitOfWork, str, P, int, str], None], deps: CatalogDeps) -> P:
    if patch.get("document"):
        patch = {**patch, "document_type": document_type(patch["document"])}
    updated = _patched(current, {**patch, "updated_at": rfc3339(deps.clock.now()), "version": current.version + 1},
                       type(current))
    uow = UnitOfWork()
    stage(uow, tenant_id, updated, current.version, current.document)
    stage_event(uow, deps.events.make(tenant_id, f"{noun}.updated", {noun: _public(updated), "fields": sorted(patch)}))
    uow.commit()
    return updated


def create_customer(tenant_id: str, data: dict[str, Any], deps: CatalogDeps) -> Customer:
    """A customer and its document claim: a second customer with the same CPF/CNPJ is a conflict."""
    return _create_party(tenant_id, data, Customer, "customer", "cus", deps.repo.stage_new_customer, deps)


def update_customer(tenant_id: str, customer_id: str, patch: dict[str, Any], deps: CatalogDeps) -> Customer:
    return _update_party(tenant_id, deps.repo.get_customer(tenant_id, customer_id), patch, "customer",
                         deps.repo.stage_customer_update, deps)


def create_supplier(tenant_id: str, data: dict[str, Any], deps: CatalogDeps) -> Supplier:
    """A supplier and its document claim: a second supplier with the same CPF/CNPJ is a conflict (a
    customer with that document is not: a company may buy from its customer)."""
    return _create_party(tenant_id, data, Supplier, "supplier", "sup", deps.repo.stage_new_supplier, deps)


def update_supplier(tenant_id: str, supplier_id: str, patch: dict[str, Any], deps: CatalogDeps) -> Supplier:
    return _update_party(tenant_id, deps.repo.get_supplier(tenant_id, supplier_id), patch, "supplier",
                         deps.repo.stage_supplier_update, deps)


def create_product(tenant_id: str, data: dict[str, Any], deps: CatalogDeps) -> Product:
    """A product and its (empty) stock level, in one step; the SKU is unique per tenant."""
    now = rfc3339(deps.clock.now())
    product = Product.model_validate({**data, "created_at": now, "updated_at": now})
    _check_tax_rules(tenant_id, product, deps)
    uow = UnitOfWork()
    deps.repo.stage_new_product(uow, tenant_id, product)
    stock.stage_new_stock_level(uow, tenant_id, product.sku, product.min_stock, deps.stock)
    stage_event(uow, deps.events.make(tenant_id, "product.created", {"product": _public(product)}))
    uow.commit()
    return product


def update_product(tenant_id: str, sku: str, patch: dict[str, Any], deps: CatalogDeps) -> Product:
    """Merge the patch; a new `min_stock` moves the stock level's minimum in the same transaction."""

    def attempt() -> Product:
        current = deps.repo.get_product(tenant_id, sku)
        updated = _patched(current, {**patch, "updated_at": rfc3339(deps.clock.now()),
                                     "version": current.version + 1}, Product)
        uow = UnitOfWork()
        if updated.tax != current.tax:
            _check_tax_rules(tenant_id, updated, deps)
        deps.repo.stage_product_update(uow, tenant_id, updated, current.version)
        if updated.min_stock != current.min_stock:
            stock.stage_min_stock(uow, tenant_id, sku, updated.min_stock, deps.stock)
        stage_event(uow, deps.events.make(tenant_id, "product.updated",
                                          {"product": _public(updated), "fields": sorted(patch)}))
        uow.commit()
        return updated

    return stock.retry_on_conflict(attempt)


def _check_tax_rules(tenant_id: str, product: Product, deps: CatalogDeps) -> None:
    """A product's tax rules, laid over its tenant's, must fit the tenant's tax regime."""
    if product.tax is None:
        return
    tenant = deps.tenant(tenant_id)
    problems = tax_rules_problems(tenant.tax_regime, tenant.settings.invoicing.tax, product.tax)
    if problems:
        raise InvalidRequestError("The product's tax rules do not fit the tenant's tax regime.",
                                  [FieldError(f"tax.{name}", message) for name, message in problems])


def _public(model: Any) -> dict[str, Any]:
    return model.model_dump(mode="json", exclude={"version"})  # type: ignore[no-any-return]
