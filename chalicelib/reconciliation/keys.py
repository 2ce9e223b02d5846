"""Reconciliation's DynamoDB keys: bank accounts (and the claim of their bank/agency/account), statements,
statement lines (by id, by status through GSI1) and the fingerprint that stores a line once. Only this
context's repository uses them."""

from __future__ import annotations

from chalicelib.platform.keys import Key, claim, tenant_index, tenant_item

claim("reconciliation", "BAC#", "BACREF#", "STM#", "BTX#", "BTXFP#", "BRULE#", "BTXCHG#", "#BTXSTATUS#")


def bank_account(tenant_id: str, account_id: str) -> Key:
    return tenant_item(tenant_id, "BAC#", account_id)


def bank_account_prefix(tenant_id: str) -> Key:
    return tenant_item(tenant_id, "BAC#")


def bank_account_ref(tenant_id: str, bank_code: str, agency: str, account: str) -> Key:
    """The account a bank/agency/account names: claimed once, on the first statement that shows it."""
    return tenant_item(tenant_id, "BACREF#", bank_code, agency, account)


def statement(tenant_id: str, statement_id: str) -> Key:
    return tenant_item(tenant_id, "STM#", statement_id)


def statement_prefix(tenant_id: str) -> Key:
    return tenant_item(tenant_id, "STM#")


def line(tenant_id: str, line_id: str) -> Key:
    return tenant_item(tenant_id, "BTX#", line_id)


def line_prefix(tenant_id: str) -> Key:
    return tenant_item(tenant_id, "BTX#")


def line_status_index(tenant_id: str, status: str, account_id: str, line_id: str) -> Key:
    """GSI1: a tenant's lines in one status, by bank account, oldest first."""
    return tenant_index(tenant_id, "BTXSTATUS", status, f"{account_id}_{line_id}")


def fingerprint(tenant_id: str, account_id: str, fingerprint: str) -> Key:
    """A line's dedupe key (account + FITID + content hash), written with the line under a condition."""
    return tenant_item(tenant_id, "BTXFP#", account_id, fingerprint)


def rule(tenant_id: str, rule_id: str) -> Key:
    return tenant_item(tenant_id, "BRULE#", rule_id)


def rule_prefix(tenant_id: str) -> Key:
    return tenant_item(tenant_id, "BRULE#")


def target_line(tenant_id: str, target_id: str) -> Key:
    """The one statement line a charge or a bill (by its prefixed id) is matched to: claimed with the match,
    so neither takes two lines."""
    return tenant_item(tenant_id, "BTXCHG#", target_id)
