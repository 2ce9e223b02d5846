"""The catalog context's DynamoDB keys: customers and products. Only this context's repository uses them."""

from __future__ import annotations

from chalicelib.platform.keys import Key, claim, part, tenant_partition

claim("catalog", 'CUS#', 'CUSDOC#', 'PRD#')


def customer(tenant_id: str, customer_id: str) -> Key:
    return Key(tenant_partition(tenant_id), f"CUS#{part(customer_id)}")


def customer_prefix(tenant_id: str) -> Key:
    return Key(tenant_partition(tenant_id), "CUS#")


def customer_document_claim(tenant_id: str, document: str) -> Key:
    """One customer per CPF/CNPJ within a tenant: a uniqueness claim item."""
    return Key(tenant_partition(tenant_id), f"CUSDOC#{part(document)}")


def product(tenant_id: str, sku: str) -> Key:
    """The product item is its own SKU claim: a conditional put keeps SKUs unique per tenant."""
    return Key(tenant_partition(tenant_id), f"PRD#{part(sku)}")


def product_prefix(tenant_id: str) -> Key:
    return Key(tenant_partition(tenant_id), "PRD#")
