"""The books' invariants, checked after every test scenario (like the stock's): each entry balances,
the journal's debits equal its credits, each event posted at most once, each document reversed at most
once, and the monthly totals the trial balance reads equal the journal they summarize."""

from __future__ import annotations

from collections import Counter
from typing import Any

from chalicelib.ledger.model import add_totals


def audit(tenant_id: str, repo: Any) -> list[str]:
    problems: list[str] = []
    entries = list(repo.entries_between(tenant_id, "0000-01-01", "9999-12-31"))
    by_month: dict[str, dict[str, tuple[int, int]]] = {}
    for entry in entries:
        debits = sum(line.debit_cents for line in entry.lines)
        credits = sum(line.credit_cents for line in entry.lines)
        if debits != credits:
            problems.append(f"{entry.id} does not balance: {debits} != {credits}")
        add_totals(entry.lines, by_month.setdefault(entry.date[:7], {}))
    sums = {(month, code): value for month, totals in by_month.items() for code, value in totals.items()}
    events = Counter(e.source.event_id for e in entries if e.source.event_id)
    problems += [f"event {event} posted {n} times" for event, n in events.items() if n > 1]
    reversed_ = Counter(e.reverses for e in entries if e.reverses)
    problems += [f"entry {entry} reversed {n} times" for entry, n in reversed_.items() if n > 1]
    kept = {key: value for key, value in repo.monthly_totals(tenant_id).items() if value != (0, 0)}
    if kept != sums:
        problems.append(f"monthly totals {kept} differ from the journal {sums}")
    return problems
