"""HTTP routes of the catalog: customers, suppliers and products."""

from __future__ import annotations

from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.brazil.documents import CpfOrCnpj
from chalicelib.brazil.places import Address
from chalicelib.brazil.taxes import TaxRules
from chalicelib.catalog import service
from chalicelib.catalog.model import (
    Cfop,
    Customer,
    CustomerName,
    DocumentType,
    Gtin,
    Ncm,
    Origin,
    Phone,
    Product,
    ProductName,
    Quantity,
    StateRegistration,
    Supplier,
    Unit,
)
from chalicelib.catalog.service import CatalogDeps
from chalicelib.platform.errors import NotFoundError
from chalicelib.platform.http import Api, Call, Result
from chalicelib.platform.ids import is_id
from chalicelib.platform.money import Cents
from chalicelib.platform.pagination import ListQuery, Page, page_body
from chalicelib.platform.text import Email
from chalicelib.stock.model import Sku, is_sku

api: Api[CatalogDeps] = Api(__name__, tag="Catalog")


class _NewParty(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: CustomerName
    document: CpfOrCnpj = Field(description="CPF (11 digits) or CNPJ (14 digits), digits only, check digits valid.")
    email: Email | None = None
    phone: Phone | None = Field(default=None, description="Digits, optionally with a leading +: 5511987654321.")
    state_registration: StateRegistration | None = Field(default=None, description="Inscrição estadual, or ISENTO.")


class _PartyPatch(BaseModel):
    """Every field optional; what is sent replaces the current value (null clears an optional one)."""

    model_config = ConfigDict(extra="forbid")

    name: CustomerName | None = None
    document: CpfOrCnpj | None = None
    email: Email | None = None
    phone: Phone | None = None
    state_registration: StateRegistration | None = None
    address: Address | None = None


class _PartyResponse(BaseModel):
    id: str
    name: str
    document: str
    document_type: DocumentType
    email: str | None
    phone: str | None
    state_registration: str | None


class CreateCustomerRequest(_NewParty):
    address: Address


class UpdateCustomerRequest(_PartyPatch):
    """Every field optional; what is sent replaces the current value (null clears an optional one)."""

    dunning_paused_until: date | None = Field(default=None, description=(
        "A promise to pay: no dunning step is sent to this customer up to and including this day "
        "(YYYY-MM-DD; null resumes at once)."))


class CustomerResponse(_PartyResponse):
    address: Address
    dunning_paused_until: date | None = None
    created_at: str
    updated_at: str


class CustomerListResponse(BaseModel):
    data: list[CustomerResponse]
    next_cursor: str | None


class CustomerQuery(ListQuery):
    document: CpfOrCnpj | None = Field(default=None, description="Find the customer with this CPF/CNPJ.")


class CreateSupplierRequest(_NewParty):
    address: Address | None = None
    lead_time_days: int | None = Field(default=None, ge=0, le=365, description=(
        "Days from order to delivery: the reorder suggestions cover it (default 7 when unknown)."))


class UpdateSupplierRequest(_PartyPatch):
    """Every field optional; what is sent replaces the current value (null clears an optional one)."""

    lead_time_days: int | None = Field(default=None, ge=0, le=365, description=(
        "Days from order to delivery: the reorder suggestions cover it (default 7 when unknown)."))


class SupplierResponse(_PartyResponse):
    address: Address | None
    lead_time_days: int | None
    created_at: str
    updated_at: str


class SupplierListResponse(BaseModel):
    data: list[SupplierResponse]
    next_cursor: str | None


class SupplierQuery(ListQuery):
    document: CpfOrCnpj | None = Field(default=None, description="Find the supplier with this CPF/CNPJ.")


TAX_DESCRIPTION = ("The product's own NF-e tax profile (CSOSN or ICMS CST, rates, PIS/COFINS) over the tenant's "
                   "`invoicing.tax` settings; fields left out come from the tenant's.")


class CreateProductRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Sku = Field(description="Unique per tenant; 1..40 letters, digits, '.', '_' or '-'. Case-sensitive.")
    name: ProductName
    unit: Unit = Field(default="UN", description="Commercial unit (NF-e uCom): UN, KG, CX…")
    price_cents: Cents
    cost_cents: Cents = 0
    ncm: Ncm = Field(description="NCM, 8 digits.")
    cfop: Cfop = Field(default="5102", description="CFOP of the usual sale, 4 digits.")
    origin: Origin = Field(default=0, description="Origem da mercadoria, 0..8.")
    gtin: Gtin | None = Field(default=None, description="GTIN-8/12/13/14 with a valid check digit, or 'SEM GTIN'.")
    min_stock: Quantity = Field(default=0, description="`stock.low` fires when available stock falls below it.")
    tax: TaxRules | None = Field(default=None, description=TAX_DESCRIPTION)


class UpdateProductRequest(BaseModel):
    """Every field optional; the SKU cannot change."""

    model_config = ConfigDict(extra="forbid")

    name: ProductName | None = None
    unit: Unit | None = None
    price_cents: Cents | None = None
    cost_cents: Cents | None = None
    ncm: Ncm | None = None
    cfop: Cfop | None = None
    origin: Origin | None = None
    gtin: Gtin | None = None
    min_stock: Quantity | None = None
    tax: TaxRules | None = Field(default=None, description=TAX_DESCRIPTION + " A PATCH replaces it whole; null removes it.")


class ProductResponse(BaseModel):
    sku: str
    name: str
    unit: str
    price_cents: int
    cost_cents: int
    ncm: str
    cfop: str
    origin: int
    gtin: str | None
    min_stock: int
    tax: TaxRules | None
    created_at: str
    updated_at: str


class ProductListResponse(BaseModel):
    data: list[ProductResponse]
    next_cursor: str | None


def _customer(customer: Customer | Supplier) -> dict[str, Any]:
    return customer.model_dump(mode="json", exclude={"version"})


def _product(product: Product) -> dict[str, Any]:
    return product.model_dump(mode="json", exclude={"version"})


@api.route_spec("/v1/customers", "POST", scope="catalog:write", request=CreateCustomerRequest,
                response=CustomerResponse, status=201, extra_statuses=(409,))
def create_customer(call: Call[CatalogDeps]) -> Result:
    """Create a customer
    The document is a CPF or CNPJ with valid check digits, unique within the tenant
    (409 `conflict` on a second customer with the same document)."""
    body: CreateCustomerRequest = call.body
    customer = service.create_customer(call.tenant_id, body.model_dump(mode="json"), call.deps)
    return Result(_customer(customer), status=201)


@api.route_spec("/v1/customers", scope="catalog:read", query=CustomerQuery, response=CustomerListResponse)
def list_customers(call: Call[CatalogDeps]) -> Result:
    """List customers, newest first
    Filter with `document` to find the customer with a CPF/CNPJ."""
    repo = call.deps.repo
    if call.query.document:
        found = repo.find_customer_by_document(call.tenant_id, call.query.document)
        return Result(page_body(Page([found] if found else [], None), _customer))
    return Result(page_body(repo.list_customers(call.tenant_id, call.query.limit, call.query.cursor), _customer))


@api.route_spec("/v1/customers/{customer_id}", scope="catalog:read", response=CustomerResponse, extra_statuses=(404,))
def get_customer(call: Call[CatalogDeps], customer_id: str) -> Result:
    """Get a customer"""
    return Result(_customer(call.deps.repo.get_customer(call.tenant_id, customer_id)))


@api.route_spec("/v1/customers/{customer_id}", "PATCH", scope="catalog:write", request=UpdateCustomerRequest,
                response=CustomerResponse, extra_statuses=(404, 409))
def update_customer(call: Call[CatalogDeps], customer_id: str) -> Result:
    """Update a customer
    Fields sent replace the current ones; a new document must be free within the tenant."""
    if not is_id(customer_id, "cus"):
        raise NotFoundError(f"No customer {customer_id}.")
    body: UpdateCustomerRequest = call.body
    patch = body.model_dump(mode="json", exclude_unset=True)
    return Result(_customer(service.update_customer(call.tenant_id, customer_id, patch, call.deps)))


@api.route_spec("/v1/suppliers", "POST", scope="catalog:write", request=CreateSupplierRequest,
                response=SupplierResponse, status=201, extra_statuses=(409,))
def create_supplier(call: Call[CatalogDeps]) -> Result:
    """Create a supplier
    The document is a CPF or CNPJ with valid check digits, unique among the tenant's suppliers (409
    `conflict`); a customer may have the same one. Supplier invoices find their supplier by it."""
    body: CreateSupplierRequest = call.body
    return Result(_customer(service.create_supplier(call.tenant_id, body.model_dump(mode="json"), call.deps)),
                  status=201)


@api.route_spec("/v1/suppliers", scope="catalog:read", query=SupplierQuery, response=SupplierListResponse)
def list_suppliers(call: Call[CatalogDeps]) -> Result:
    """List suppliers, newest first
    Filter with `document` to find the supplier with a CPF/CNPJ."""
    repo = call.deps.repo
    if call.query.document:
        found = repo.find_supplier_by_document(call.tenant_id, call.query.document)
        return Result(page_body(Page([found] if found else [], None), _customer))
    return Result(page_body(repo.list_suppliers(call.tenant_id, call.query.limit, call.query.cursor), _customer))


@api.route_spec("/v1/suppliers/{supplier_id}", scope="catalog:read", response=SupplierResponse, extra_statuses=(404,))
def get_supplier(call: Call[CatalogDeps], supplier_id: str) -> Result:
    """Get a supplier"""
    return Result(_customer(call.deps.repo.get_supplier(call.tenant_id, supplier_id)))


@api.route_spec("/v1/suppliers/{supplier_id}", "PATCH", scope="catalog:write", request=UpdateSupplierRequest,
                response=SupplierResponse, extra_statuses=(404, 409))
def update_supplier(call: Call[CatalogDeps], supplier_id: str) -> Result:
    """Update a supplier
    Fields sent replace the current ones; a new document must be free among the suppliers."""
    if not is_id(supplier_id, "sup"):
        raise NotFoundError(f"No supplier {supplier_id}.")
    body: UpdateSupplierRequest = call.body
    patch = body.model_dump(mode="json", exclude_unset=True)
    return Result(_customer(service.update_supplier(call.tenant_id, supplier_id, patch, call.deps)))


@api.route_spec("/v1/products", "POST", scope="catalog:write", request=CreateProductRequest,
                response=ProductResponse, status=201, extra_statuses=(409,))
def create_product(call: Call[CatalogDeps]) -> Result:
    """Create a product
    Its stock level starts at zero in every warehouse. The SKU is unique per tenant
    (409 `conflict` on a second product with the same SKU, however concurrent)."""
    body: CreateProductRequest = call.body
    product = service.create_product(call.tenant_id, body.model_dump(mode="json"), call.deps)
    return Result(_product(product), status=201)


@api.route_spec("/v1/products", scope="catalog:read", query=ListQuery, response=ProductListResponse)
def list_products(call: Call[CatalogDeps]) -> Result:
    """List products, by SKU"""
    page = call.deps.repo.list_products(call.tenant_id, call.query.limit, call.query.cursor)
    return Result(page_body(page, _product))


@api.route_spec("/v1/products/{sku}", scope="catalog:read", response=ProductResponse, extra_statuses=(404,))
def get_product(call: Call[CatalogDeps], sku: str) -> Result:
    """Get a product by SKU"""
    if not is_sku(sku):
        raise NotFoundError(f"No product with SKU {sku}.")
    return Result(_product(call.deps.repo.get_product(call.tenant_id, sku)))


@api.route_spec("/v1/products/{sku}", "PATCH", scope="catalog:write", request=UpdateProductRequest,
                response=ProductResponse, extra_statuses=(404, 409))
def update_product(call: Call[CatalogDeps], sku: str) -> Result:
    """Update a product
    Fields sent replace the current ones. A new `min_stock` applies to the stock level at once."""
    if not is_sku(sku):
        raise NotFoundError(f"No product with SKU {sku}.")
    body: UpdateProductRequest = call.body
    patch = body.model_dump(mode="json", exclude_unset=True)
    return Result(_product(service.update_product(call.tenant_id, sku, patch, call.deps)))
