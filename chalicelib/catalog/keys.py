"""The catalog context's DynamoDB keys: customers and products. Only this context's repository uses them."""

from __future__ import annotations

from chalicelib.platform.keys import Key, claim, tenant_item

claim("catalog", "CUS#", "CUSDOC#", "PRD#")


def customer(tenant_id: str, customer_id: str) -> Key:
    return tenant_item(tenant_id, "CUS#", customer_id)


def customer_prefix(tenant_id: str) -> Key:
    return tenant_item(tenant_id, "CUS#")


def customer_document_claim(tenant_id: str, document: str) -> Key:
    """One customer per CPF/CNPJ within a tenant: a uniqueness claim item."""
    return tenant_item(tenant_id, "CUSDOC#", document)


def product(tenant_id: str, sku: str) -> Key:
    """The product item is its own SKU claim: a conditional put keeps SKUs unique per tenant."""
    return tenant_item(tenant_id, "PRD#", sku)


def product_prefix(tenant_id: str) -> Key:
    return tenant_item(tenant_id, "PRD#")
