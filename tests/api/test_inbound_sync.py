"""The DF-e inbox through the API, against the local fiscal authority's distribution: a supplier's NF-e
deposited in the sandbox comes as a summary (which gets the ciência), then, an hour later, as the full
document; a query inside the hour after "nothing new" is never made (429 with Retry-After)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.api.test_catalog import call
from tests.api.test_inbound_invoices import TENANT_CNPJ
from tests.supplier_nfe import supplier_nfe

START = datetime.fromisoformat("2026-03-02T10:00:00-03:00")


@pytest.fixture
def clock():
    from chalicelib.platform.clock import FixedClock
    from tests.deps import use

    fixed = FixedClock(START)
    use(clock=fixed)
    return fixed


def at(clock, minutes: float) -> None:
    clock.advance(seconds=(START + timedelta(minutes=minutes) - clock.now()).total_seconds())


def deposit(http, tenant, raw: bytes) -> tuple[int, Any]:
    answer = http.request("POST", "/v1/sandbox/inbound-invoices", raw=raw,
                          headers={**tenant["headers"], "Content-Type": "application/xml"})
    return answer.status_code, json.loads(answer.body)


def sync(http, tenant) -> tuple[int, Any, dict[str, str]]:
    answer = http.request("POST", "/v1/inbound-invoices/sync", {}, tenant["headers"])
    return answer.status_code, json.loads(answer.body), dict(answer.headers)


def test_a_summary_then_its_full_document_an_hour_later(http, tenant, clock):
    status, deposited = deposit(http, tenant, supplier_nfe(TENANT_CNPJ))
    assert status == 201 and deposited["nsu"] == "000000000000001", deposited
    assert deposit(http, tenant, supplier_nfe(TENANT_CNPJ))[1]["nsu"] is None  # the same NF-e: once
    status, first, _ = sync(http, tenant)
    assert status == 200 and (first["cstat"], first["summaries"], first["received"]) == ("138", 1, 0), first
    assert first["next_query_at"] is not None  # ultNSU == maxNSU: wait an hour
    (summary,) = call(http, tenant, "GET", "/v1/inbound-invoices?status=summary")[1]["data"]
    assert summary["access_key"] == deposited["access_key"] and summary["source"] == "dfe"
    assert summary["lines"] == [] and summary["totals"]["total_cents"] == 77_340
    assert (summary["manifestation"]["event_type"], summary["manifestation"]["status"]) == ("210210", "registered")
    # Inside the hour: refused here, no query made (the authority would answer 656 and block the CNPJ).
    at(clock, 30)
    status, problem, headers = sync(http, tenant)
    assert (status, problem["code"]) == (429, "rate_limited") and 1700 < int(headers["Retry-After"]) <= 1801
    # After the hour: the full document (released by the ciência), under the same id.
    at(clock, 61)
    status, second, _ = sync(http, tenant)
    assert status == 200 and (second["cstat"], second["received"]) == ("138", 1), second
    full = call(http, tenant, "GET", f"/v1/inbound-invoices/{summary['id']}")[1]
    assert full["status"] == "received" and len(full["lines"]) == 3 and full["manifestation"]["event_type"] == "210210"
    at(clock, 125)
    status, third, _ = sync(http, tenant)
    assert status == 200 and (third["cstat"], third["documents"]) == ("137", 0), third


def test_the_sandbox_takes_only_nfe_addressed_to_the_tenant(http, tenant, clock):
    status, problem = deposit(http, tenant, supplier_nfe("45997418000153"))
    assert (status, problem["code"]) == (422, "not_addressed_to_tenant")
    assert deposit(http, tenant, b"<nope/>")[0] == 400
