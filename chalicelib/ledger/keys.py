"""The ledger's DynamoDB keys: custom accounts, journal entries (by id, and by date through GSI1), one
marker per event posted, the document an entry books (for its reversal), and each account's monthly
totals. Only this context's repository uses them."""

from __future__ import annotations

from chalicelib.platform.keys import Key, claim, tenant_index, tenant_item

claim("ledger", "LACC#", "LENT#", "LPOSTED#", "LDOC#", "LBAL#", "LUNAPPLIED#", "#LJOURNAL#")


def account(tenant_id: str, code: str) -> Key:
    return tenant_item(tenant_id, "LACC#", code)


def account_prefix(tenant_id: str) -> Key:
    return tenant_item(tenant_id, "LACC#")


def entry(tenant_id: str, entry_id: str) -> Key:
    return tenant_item(tenant_id, "LENT#", entry_id)


def journal_index(tenant_id: str, day: str, entry_id: str) -> Key:
    """GSI1: a tenant's entries in date order (`YYYY-MM-DD_<entry id>`), read by a date range."""
    return tenant_index(tenant_id, "LJOURNAL", "all", f"{day}_{entry_id}")


def posted(tenant_id: str, event_id: str) -> Key:
    """An event posted: written with its entry under a condition, so an event posts once."""
    return tenant_item(tenant_id, "LPOSTED#", event_id)


def document(tenant_id: str, kind: str, document_id: str) -> Key:
    """The entry that booked a document (an invoice, a charge of no order): its reversal reads it."""
    return tenant_item(tenant_id, "LDOC#", kind, document_id)


def balance(tenant_id: str, month: str, code: str) -> Key:
    """An account's debits and credits of a month (`YYYY-MM`), added with every entry that touches it."""
    return tenant_item(tenant_id, "LBAL#", month, code)


def balance_prefix(tenant_id: str) -> Key:
    return tenant_item(tenant_id, "LBAL#")


def unapplied(tenant_id: str, charge_id: str) -> Key:
    """How much money on a cancelled or paid charge was booked as owed back: the events carry the running
    total, so only what grew is posted, whatever order they arrive in."""
    return tenant_item(tenant_id, "LUNAPPLIED#", charge_id)
