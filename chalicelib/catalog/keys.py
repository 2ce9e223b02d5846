"""The catalog context's DynamoDB keys: customers, suppliers and products. Only this context's repository uses them."""

from __future__ import annotations

from chalicelib.platform.keys import Key, claim, tenant_index, tenant_item

claim("catalog", "CUS#", "CUSDOC#", "PRD#", "SUP#", "SUPDOC#", "#PRDGTIN#")


def customer(tenant_id: str, customer_id: str) -> Key:
    return tenant_item(tenant_id, "CUS#", customer_id)


def customer_prefix(tenant_id: str) -> Key:
    return tenant_item(tenant_id, "CUS#")


def customer_document_claim(tenant_id: str, document: str) -> Key:
    """One customer per CPF/CNPJ within a tenant: a uniqueness claim item."""
    return tenant_item(tenant_id, "CUSDOC#", document)


def supplier(tenant_id: str, supplier_id: str) -> Key:
    return tenant_item(tenant_id, "SUP#", supplier_id)


def supplier_prefix(tenant_id: str) -> Key:
    return tenant_item(tenant_id, "SUP#")


def supplier_document_claim(tenant_id: str, document: str) -> Key:
    """One supplier per CPF/CNPJ within a tenant (a customer may be a supplier too: claims of their own)."""
    return tenant_item(tenant_id, "SUPDOC#", document)


def product(tenant_id: str, sku: str) -> Key:
    """The product item is its own SKU claim: a conditional put keeps SKUs unique per tenant."""
    return tenant_item(tenant_id, "PRD#", sku)


def product_prefix(tenant_id: str) -> Key:
    return tenant_item(tenant_id, "PRD#")


def gtin_index(tenant_id: str, gtin: str, sku: str) -> Key:
    """GSI1: a tenant's products by GTIN (sparse: only products with one), for a supplier NF-e's lines."""
    return tenant_index(tenant_id, "PRDGTIN", gtin, sku)
