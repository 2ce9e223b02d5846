"""The invoicing context's DynamoDB keys: invoices, their numbering and the local authority's registry.
Only this context's repository (and, for its registry, the local authority) uses them."""

from __future__ import annotations

from chalicelib.platform.keys import Key, claim, part, tenant_index, tenant_item, tenant_partition

claim("invoicing", "INV#", "#INVSTATUS#", "INVORDER#", "NFESEQ#", "VOD#", "LOCALSEFAZ#")


def invoice(tenant_id: str, invoice_id: str) -> Key:
    return tenant_item(tenant_id, "INV#", invoice_id)


def invoice_prefix(tenant_id: str) -> Key:
    return tenant_item(tenant_id, "INV#")


def invoice_status_index(tenant_id: str, status: str, invoice_id: str) -> Key:
    return tenant_index(tenant_id, "INVSTATUS", status, invoice_id)


def invoice_of_order(tenant_id: str, order_id: str) -> Key:
    """One NF-e per order: the claim that makes emission idempotent."""
    return tenant_item(tenant_id, "INVORDER#", order_id)


def invoice_number_counter(tenant_id: str, series: int) -> Key:
    """The next nNF of a série (per tenant, i.e. per CNPJ, modelo 55)."""
    return Key(tenant_partition(tenant_id), f"NFESEQ#{series:03d}")


def invoice_number_void(tenant_id: str, void_id: str) -> Key:
    return tenant_item(tenant_id, "VOD#", void_id)


def local_authority_number(cnpj: str, series: int, number: int) -> Key:
    """The local fiscal authority's own registry (it stands in for SEFAZ's database)."""
    return Key(f"LOCALSEFAZ#{part(cnpj)}#55#{series:03d}", f"NNF#{number:09d}")


def local_authority_manifest(recipient_cnpj: str, access_key: str) -> Key:
    """The local fiscal authority's record of a recipient's MD-e events on a supplier's NF-e."""
    return Key(f"LOCALSEFAZ#MDE#{part(recipient_cnpj)}", f"CHNFE#{part(access_key)}")
