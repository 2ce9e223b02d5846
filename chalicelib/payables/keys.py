"""Payables' DynamoDB keys: one item per bill (by status through GSI1), and the payment references a bill
was settled by (a provider's notice, a statement line), claimed once. Only this context's repository uses
them."""

from __future__ import annotations

from chalicelib.platform.keys import Key, claim, tenant_index, tenant_item

claim("payables", "BIL#", "#BILSTATUS#", "BILPAY#")


def payable(tenant_id: str, payable_id: str) -> Key:
    return tenant_item(tenant_id, "BIL#", payable_id)


def payable_prefix(tenant_id: str) -> Key:
    return tenant_item(tenant_id, "BIL#")


def status_index(tenant_id: str, status: str, payable_id: str) -> Key:
    """GSI1: a tenant's payables in one status, newest id last."""
    return tenant_index(tenant_id, "BILSTATUS", status, payable_id)


def payment_reference(tenant_id: str, source: str, reference: str) -> Key:
    """A notice or statement line that paid a bill: claimed in the payment's transaction, so it pays once."""
    return tenant_item(tenant_id, "BILPAY#", source, reference)
