"""Purchasing (DynamoDB Local; S3 on moto's server): supplier NF-e taken in (parsed, XSD-validated, the
signature verified, stored once) per second with their DynamoDB calls, and what accepting one costs for 1,
10 and 50 lines: the acceptance's commit and its saga (stock receipts, payables, learned codes, sources, the
local MD-e), in DynamoDB calls and capacity units."""

from __future__ import annotations

import json
import time

from bench.support import LocalApi, local_api

INTAKES = 40


def main() -> None:
    with local_api() as api:
        _intake(api)
        for lines in (1, 10, 50):
            _accept(api, lines)


def _post(api: LocalApi, raw: bytes) -> dict:
    answer = api.http.request("POST", "/v1/inbound-invoices", headers={**api.key, "Content-Type": "application/xml"},
                              body=raw)
    assert answer.status_code in (200, 201), answer.body
    return dict(json.loads(answer.body))


def _intake(api: LocalApi) -> None:
    from tests.supplier_nfe import supplier_nfe

    documents = [supplier_nfe(api.tenant["cnpj"], nnf=5000 + n) for n in range(INTAKES)]  # signed beforehand
    api.counter.reset()
    started = time.perf_counter()
    for raw in documents:
        _post(api, raw)
    elapsed = time.perf_counter() - started
    print(f"intake: {INTAKES} supplier NF-e (3 lines each) in {elapsed:.2f} s = {INTAKES / elapsed:.1f} per second; "
          f"{api.counter.total / INTAKES:.1f} DynamoDB calls and {api.counter.capacity / INTAKES:.1f} capacity units "
          f"each ({', '.join(f'{op} {n}' for op, n in sorted(api.counter.calls.items()))})")
    api.counter.reset()
    started = time.perf_counter()
    _post(api, documents[0])
    print(f"the same NF-e again: {(time.perf_counter() - started) * 1000:.0f} ms, {api.counter.total} DynamoDB calls")


def _accept(api: LocalApi, lines: int) -> None:
    from dataclasses import replace

    from app import root
    from chalicelib.purchasing import service
    from tests.api.test_catalog import product_body
    from tests.supplier_nfe import ITEMS, supplier_nfe

    items = tuple(replace(ITEMS[n % len(ITEMS)], sku=f"B{lines}-{n}", gtin="SEM GTIN") for n in range(lines))
    for n in range(lines):
        api.call("POST", "/v1/products", product_body(sku=f"SKU{lines}-{n}", gtin=None))
    invoice = _post(api, supplier_nfe(api.tenant["cnpj"], nnf=7000 + lines, items=items))
    choices = [{"item": n + 1, "sku": f"SKU{lines}-{n}"} for n in range(lines)]
    api.counter.reset()
    started = time.perf_counter()
    api.call("POST", f"/v1/inbound-invoices/{invoice['id']}/accept", {"lines": choices})
    commit_calls, commit_units = api.counter.total, api.counter.capacity
    done = service.advance(api.tenant["id"], invoice["id"], root().purchasing)  # what the purchasing queue does
    elapsed = time.perf_counter() - started
    assert done.acceptance is not None and "manifest" in done.acceptance.steps_done
    print(f"accept, {lines:>2} lines: {elapsed * 1000:.0f} ms; {api.counter.total} DynamoDB calls, "
          f"{api.counter.capacity:.0f} capacity units (the commit {commit_calls} calls / {commit_units:.0f} units, "
          f"the saga {api.counter.total - commit_calls} / {api.counter.capacity - commit_units:.0f}; "
          f"{', '.join(f'{op} {n}' for op, n in sorted(api.counter.calls.items()))})")


if __name__ == "__main__":
    main()
