"""The collections context's DynamoDB keys: charges, their claims, counters and the payment providers' notices and secrets.
Only this context's repository uses them."""

from __future__ import annotations

from chalicelib.platform.keys import Key, claim, part, tenant_index, tenant_item, tenant_partition

claim("collections", "CHG#", "#CHGSTATUS#", "CHGDUE#", "CHGORD#", "NOSSONUM", "PSPEVT#", "PSPSECRET#", "CHGNN#")


def charge(tenant_id: str, charge_id: str) -> Key:
    return tenant_item(tenant_id, "CHG#", charge_id)


def charge_prefix(tenant_id: str) -> Key:
    return tenant_item(tenant_id, "CHG#")


def charge_status_index(tenant_id: str, status: str, charge_id: str) -> Key:
    """GSI1 entry: a tenant's charges in one status, newest id last."""
    return tenant_index(tenant_id, "CHGSTATUS", status, charge_id)


def charge_due_index(due_date: str, tenant_id: str, charge_id: str) -> Key:
    """GSI2 entry, present while a charge is open: the charges due on one date, across tenants
    (the daily overdue and dunning runs read one date's partition, not every charge)."""
    return Key(f"CHGDUE#{part(due_date)}", f"{tenant_partition(tenant_id)}#{part(charge_id)}")


def charges_of_order_claim(tenant_id: str, order_id: str) -> Key:
    """One set of charges per order: written with a condition in the transaction that creates them."""
    return tenant_item(tenant_id, "CHGORD#", order_id)


def nosso_numero_counter(tenant_id: str) -> Key:
    """The tenant's boleto nosso número sequence (atomic ADD; a number is never handed out twice)."""
    return Key(tenant_partition(tenant_id), "NOSSONUM")


def psp_notice(tenant_id: str, provider: str, provider_event_id: str) -> Key:
    """A payment provider's notice, once: its event id claimed in the settlement's transaction."""
    return tenant_item(tenant_id, "PSPEVT#", provider, provider_event_id)


def psp_secret(tenant_id: str, provider: str) -> Key:
    """The tenant's webhook signing secret for one payment provider."""
    return tenant_item(tenant_id, "PSPSECRET#", provider)


def charge_by_our_number(tenant_id: str, our_number: str) -> Key:
    """The boleto's nosso número (without leading zeros) → its charge: written with the charge, read when a
    bank statement or a CNAB retorno names the number."""
    return tenant_item(tenant_id, "CHGNN#", our_number.lstrip("0") or "0")
