"""NT 2014.002's consumption rules, both sides: the local authority's distribution answers 656 to a query
inside the hour after nothing new and restarts the block on a query while blocked; and our scheduler, run
every ten minutes against a simulated authority that answers 137 and 656, never asks inside that hour."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from chalicelib.invoicing.dfe import Distribution, LocalBox
from chalicelib.purchasing import service
from tests.deps import root
from tests.integration.repo_helpers import new_tenant
from tests.integration.test_purchasing_repository import MemoryDocuments

T0 = datetime.fromisoformat("2026-03-02T10:00:00-03:00")
ROOT = "11222333"


def test_the_local_distribution_blocks_a_query_inside_the_hour_and_restarts_the_block(store):
    assert LocalBox(T0).distribute(ROOT, "0").cstat == "137"
    assert LocalBox(T0 + timedelta(minutes=59)).distribute(ROOT, "0").cstat == "656"  # inside the hour
    assert LocalBox(T0 + timedelta(minutes=100)).distribute(ROOT, "0").cstat == "656"  # blocked: restarted at 59'
    assert LocalBox(T0 + timedelta(minutes=161)).distribute(ROOT, "0").cstat == "137"  # an hour after the last 656


class SimulatedAuthority:
    """Answers 137 (nothing new) or, when asked too soon, 656, and records when it was asked."""

    def __init__(self, clock) -> None:
        self.clock, self.asked, self.answered = clock, [], []
        self.quiet_until: datetime | None = None

    def __call__(self, tenant_id: str, last_nsu: str) -> Distribution:
        now = self.clock.now()
        self.asked.append(now)
        if self.quiet_until and now < self.quiet_until:
            self.quiet_until = now + timedelta(hours=1)
            self.answered.append("656")
            return Distribution("656", "Consumo Indevido", "000000000000007", "000000000000007", now)
        self.quiet_until = now + timedelta(hours=1)
        self.answered.append("137")
        return Distribution("137", "Nenhum documento localizado", "000000000000007", "000000000000007", now)


def test_the_hourly_run_never_asks_inside_the_hour(store):
    from chalicelib.platform.clock import FixedClock

    clock = FixedClock(T0)
    tenant = new_tenant("11222333000181")
    authority = SimulatedAuthority(clock)
    deps = dataclasses.replace(root().purchasing, clock=clock, documents=MemoryDocuments(), distribute=authority,
                               tenant_ids=lambda: iter([tenant]))
    answers = []
    for n in range(36):  # six hours, every ten minutes
        if n == 8:  # another system on the same certificate asks: our next query meets a 656
            authority.quiet_until = clock.now() + timedelta(minutes=50)
        answers.append(service.run_hourly(deps))
        clock.advance(minutes=10)
    gaps = [later - earlier for earlier, later in zip(authority.asked, authority.asked[1:], strict=False)]
    assert all(gap >= timedelta(hours=1) for gap in gaps), authority.asked
    assert "656" in authority.answered  # met once (the other system's doing), never twice in a row
    assert 4 <= len(authority.asked) <= 6 and sum(a["waiting"] for a in answers) == 36 - len(authority.asked)
    cursor = root().purchasing.repo.cursor(tenant, "11222333")
    assert cursor.last_nsu == "000000000000007" and cursor.leased_until is None  # adopted from the answer


def test_gaps_in_the_sequence_are_asked_one_by_one(store):
    from chalicelib.invoicing.dfe import DistributedDocument, summary_of
    from chalicelib.platform.clock import FixedClock
    from tests.supplier_nfe import supplier_nfe, with_protocol

    def summary(nnf: int) -> bytes:
        return summary_of(with_protocol(supplier_nfe("11222333000181", nnf=nnf)))

    clock = FixedClock(T0)
    tenant = new_tenant("11222333000181")
    page = [DistributedDocument("000000000000001", "resNFe_v1.01.xsd", summary(1)),
            DistributedDocument("000000000000004", "resNFe_v1.01.xsd", b"<not-a-summary"),  # unreadable: skipped
            DistributedDocument("000000000000005", "resNFe_v1.01.xsd", summary(5))]
    singles: list[str] = []

    def one(tenant_id: str, nsu: str) -> Distribution:
        singles.append(nsu)
        if nsu == "000000000000002":
            return Distribution("138", "Documento localizado", nsu, "000000000000005", clock.now(),
                                [DistributedDocument(nsu, "resNFe_v1.01.xsd", summary(2))])
        return Distribution("137", "Nenhum documento localizado", nsu, "000000000000005", clock.now())

    deps = dataclasses.replace(
        root().purchasing, clock=clock, documents=MemoryDocuments(), distribute_one=one,
        distribute=lambda tenant_id, last: Distribution("138", "Documento localizado", "000000000000005",
                                                        "000000000000005", clock.now(), page))
    result = service.sync_inbox(tenant, deps)
    assert (result.documents, result.summaries) == (4, 3), result
    assert singles == ["000000000000002", "000000000000003"]
    assert root().purchasing.repo.cursor(tenant, "11222333").gaps == []
    assert service.gaps_in("0", page) == ["000000000000002", "000000000000003"]
