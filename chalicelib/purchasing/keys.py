"""Purchasing's DynamoDB keys: purchase orders (by status through GSI1), inbound invoices (by status through
GSI1, one per access key through a claim), and what the tenant learned of a supplier's codes. Only this
context's repository uses them."""

from __future__ import annotations

from urllib.parse import quote

from chalicelib.platform.keys import Key, claim, tenant_index, tenant_item

claim("purchasing", "PO#", "#POSTATUS#", "NFI#", "NFIKEY#", "#NFISTATUS#", "SUPITEM#", "DFECUR#", "SKUSRC#")


def purchase_order(tenant_id: str, order_id: str) -> Key:
    return tenant_item(tenant_id, "PO#", order_id)


def purchase_order_prefix(tenant_id: str) -> Key:
    return tenant_item(tenant_id, "PO#")


def purchase_order_status(tenant_id: str, status: str, order_id: str) -> Key:
    return tenant_index(tenant_id, "POSTATUS", status, order_id)


def inbound_invoice(tenant_id: str, invoice_id: str) -> Key:
    return tenant_item(tenant_id, "NFI#", invoice_id)


def inbound_invoice_prefix(tenant_id: str) -> Key:
    return tenant_item(tenant_id, "NFI#")


def inbound_invoice_status(tenant_id: str, status: str, invoice_id: str) -> Key:
    return tenant_index(tenant_id, "NFISTATUS", status, invoice_id)


def access_key_claim(tenant_id: str, access_key: str) -> Key:
    """One inbound invoice per NF-e access key within a tenant."""
    return tenant_item(tenant_id, "NFIKEY#", access_key)


def supplier_item(tenant_id: str, supplier_id: str, supplier_code: str) -> Key:
    """What a supplier's product code is in the tenant's catalog (SKU and unit factor), learned at accept."""
    return tenant_item(tenant_id, "SUPITEM#", supplier_id, quote(supplier_code, safe=""))  # a code may hold '#'


def dfe_cursor(tenant_id: str, cnpj_root: str) -> Key:
    """The tenant's NSU cursor of the Ambiente Nacional's distribution, one per CNPJ root."""
    return tenant_item(tenant_id, "DFECUR#", cnpj_root)


def sku_source(tenant_id: str, sku: str) -> Key:
    """Where a SKU came from last: its supplier and unit cost (reorder suggestions)."""
    return tenant_item(tenant_id, "SKUSRC#", sku)
