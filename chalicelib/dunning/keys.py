"""The dunning context's DynamoDB keys: a tenant's runs (one per day), the runs the schedule asked for,
and one marker per charge and step. Only this context's repository uses them."""

from __future__ import annotations

from chalicelib.platform.keys import Key, claim, tenant_item

claim("dunning", "DUNRUN#", "DUNREQ#", "DUNSTEP#")


def run(tenant_id: str, day: str) -> Key:
    """A tenant's run of a day: written under a condition, so a day is run once (and resumed, never redone)."""
    return tenant_item(tenant_id, "DUNRUN#", day)


def run_prefix(tenant_id: str) -> Key:
    return tenant_item(tenant_id, "DUNRUN#")


def run_request(tenant_id: str, day: str) -> Key:
    """The schedule's request for a tenant's run of a day: one per day, with its event in one transaction."""
    return tenant_item(tenant_id, "DUNREQ#", day)


def step(tenant_id: str, charge_id: str, offset_days: int) -> Key:
    """A charge's step: claimed under a condition before its message goes out, so it is sent at most once."""
    return tenant_item(tenant_id, "DUNSTEP#", charge_id, f"{offset_days + 1000:04d}")


def steps_of_charge(tenant_id: str, charge_id: str) -> Key:
    return tenant_item(tenant_id, "DUNSTEP#", charge_id, "")
