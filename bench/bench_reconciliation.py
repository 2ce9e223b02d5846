"""Statement import and matching (DynamoDB Local): one OFX statement of 1,000 lines against 10,000 open
charges (written straight to the table, with their nosso número lookups, due over the next 60 days at
distinct amounts). 300 lines name a charge's Pix txid, 200 its nosso número, 300 only pay a charge's amount
near its due date, 200 match nothing. Prints lines imported and matched per second, DynamoDB calls and
capacity per line, the same file again (every line a duplicate), and ledger postings per second for the
matched lines' events."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from bench.support import LocalApi, local_api

OPEN_CHARGES = 10_000
LINES = 1_000


def main() -> None:
    with local_api() as api:
        _run(api)


def _charges(tenant_id: str, template: Any, today: Any) -> list[Any]:
    from chalicelib.collections import keys
    from chalicelib.collections.repository import ChargeRecord, OurNumberRecord, _record

    made = []
    with ChargeRecord.batch_write() as batch:
        for i in range(OPEN_CHARGES):
            boleto = template.boleto.model_copy(update={"our_number": f"1234567{i:010d}"})
            charge = template.model_copy(update={"id": f"chg_01BENCH{i:019d}", "amount_cents": 10_000 + i,
                                                 "due_date": today + timedelta(days=i % 60), "boleto": boleto})
            batch.save(_record(tenant_id, charge))
            batch.save(OurNumberRecord.at(keys.charge_by_our_number(tenant_id, boleto.our_number),
                                          kind="charge_our_number", charge_id=charge.id))
            made.append(charge)
    return made


def _statement(charges: list[Any], today: Any) -> bytes:
    from tests.api.test_bank_statements import ofx

    rows = []
    near_due = iter([c for c in charges[3_500:] if 0 <= (c.due_date - today).days <= 9])  # inside the window
    for n in range(LINES):
        charge = charges[n * 7]  # spread over the due dates
        if n < 300:
            rows.append((today, charge.amount_cents, f"PIX RECEBIDO {charge.id.replace('_', '')}", f"F{n}"))
        elif n < 500:
            rows.append((today, charge.amount_cents, f"LIQ COBRANCA {charge.boleto.our_number}", f"F{n}"))
        elif n < 800:  # a charge due today..+9, inside the 10-day window of today's line
            rows.append((today, next(near_due).amount_cents, "TED RECEBIDA", f"F{n}"))
        else:
            rows.append((today, -(100 + n), "TARIFA AVULSA", f"F{n}"))
    return ofx(rows)


def _run(api: LocalApi) -> None:
    from app import root
    from chalicelib.platform.clock import business_date
    from tests.api.test_catalog import customer_body

    today = business_date(root().clock.now())
    customer = api.call("POST", "/v1/customers", customer_body())
    first = api.call("POST", "/v1/charges", {"customer_id": customer["id"], "amount_cents": 9_999,
                                             "due_date": (today + timedelta(days=30)).isoformat(),
                                             "method": "boleto", "description": "Mensalidade"})
    template = root().charge_repository.get(api.tenant["id"], first["id"])
    started = time.perf_counter()
    charges = _charges(api.tenant["id"], template, today)
    print(f"{OPEN_CHARGES:,} open charges written in {time.perf_counter() - started:.1f} s")
    raw = _statement(charges, today)
    headers = {**api.key, "Content-Type": "application/x-ofx"}
    for label in ("first import", "same file again"):
        api.counter.reset()
        started = time.perf_counter()
        answer = api.http.request("POST", "/v1/bank-statements", headers=headers, body=raw)
        elapsed = time.perf_counter() - started
        assert answer.status_code == 201, answer.body
        import json

        body = json.loads(answer.body)
        print(f"{label}: {LINES} lines in {elapsed:.2f} s = {LINES / elapsed:.0f} lines/s; stored "
              f"{body['transactions']}, duplicates {body['duplicates']}, matched {body['matched']}, unmatched "
              f"{body['unmatched']}; {api.counter.total} DynamoDB calls = {api.counter.total / LINES:.2f} per line "
              f"({', '.join(f'{op} {n}' for op, n in sorted(api.counter.calls.items()))}), "
              f"{api.counter.capacity:.0f} capacity units = {api.counter.capacity / LINES:.2f} per line")
    _postings(api)


def _postings(api: LocalApi) -> None:
    from app import root
    from chalicelib.ledger.service import post_event
    from chalicelib.platform.events import Event

    tenant = api.tenant["id"]
    page = root().event_log.list(tenant, "bank_transaction.matched", 100, None)
    events = [event for event, _ in page.items]
    cursor = page.next_cursor
    while cursor:
        page = root().event_log.list(tenant, "bank_transaction.matched", 100, cursor)
        events += [event for event, _ in page.items]
        cursor = page.next_cursor
    assert isinstance(events[0], Event)
    api.counter.reset()
    started = time.perf_counter()
    booked = sum(post_event(event, root().ledger) for event in events)
    elapsed = time.perf_counter() - started
    print(f"ledger: {booked} postings of {len(events)} matched lines in {elapsed:.2f} s = {booked / elapsed:.0f} "
          f"postings/s; {api.counter.total / max(booked, 1):.1f} DynamoDB calls and "
          f"{api.counter.capacity / max(booked, 1):.1f} capacity units per posting")


if __name__ == "__main__":
    main()
