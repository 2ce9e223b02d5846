"""Payables' behaviour over the in-memory table, moto and DynamoDB Local: a bill is stored and listed by
status, supplier and due date; its version guards every change; a payment's reference is claimed once; and
eight payments at once (four notices, four statement lines) pay it once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib.catalog import service as catalog
from chalicelib.payables import service
from chalicelib.platform.errors import InvalidStateError
from tests.api.test_suppliers import supplier_body
from tests.deps import root
from tests.integration.repo_helpers import new_tenant, read_all
from tests.integration.test_stock_concurrency import run_concurrently

NOW = datetime(2026, 3, 2, 15, tzinfo=UTC)


@pytest.fixture(autouse=True)
def frozen(store):
    from chalicelib.platform.clock import FixedClock
    from tests.deps import use

    use(clock=FixedClock(NOW))


def _bill(tenant: str, supplier: str, amount: int = 10_000, due_in: int = 5) -> service.Payable:
    return service.create_payable(tenant, service.NewPayable(
        supplier_id=supplier, description="Conta", amount_cents=amount,
        due_date=date(2026, 3, 2) + timedelta(days=due_in)), root().payables)


def test_bills_are_listed_by_status_supplier_and_due_date(store):
    tenant = new_tenant()
    one = catalog.create_supplier(tenant, supplier_body(), root().catalog).id
    two = catalog.create_supplier(tenant, supplier_body(document="11222333000181"), root().catalog).id
    made = [_bill(tenant, one, due_in=d) for d in (1, 5, 9)] + [_bill(tenant, two)]
    service.cancel_payable(tenant, made[0].id, root().payables)
    repo = root().payables.repo
    assert [p.id for p in read_all(lambda n, c: repo.list(tenant, "open", None, None, n, c), 1)] == [
        made[3].id, made[2].id, made[1].id]
    assert [p.id for p in read_all(lambda n, c: repo.list(tenant, None, one, "2026-03-08", n, c), 1)] == [
        made[1].id, made[0].id]
    assert [p.id for p in read_all(lambda n, c: repo.list(tenant, "cancelled", None, None, n, c), 5)] == [made[0].id]
    assert {p.id for p in service.open_payables(tenant, root().payables)} == {m.id for m in made[1:]}


def test_a_reference_pays_once_and_a_repeat_is_a_replay(store):
    tenant = new_tenant()
    supplier = catalog.create_supplier(tenant, supplier_body(), root().catalog).id
    made = _bill(tenant, supplier)
    paid = service.record_payment(tenant, made.id, 10_000, NOW, "pix", root().payables, source="local",
                                  reference="n-1")
    again = service.record_payment(tenant, made.id, 10_000, NOW, "pix", root().payables, source="local",
                                   reference="n-1")
    assert again == paid and len(again.payments) == 1
    seen = service.record_payment(tenant, made.id, 10_000, NOW, "statement", root().payables, source="statement",
                                  reference="btx-1")  # the bank's view of the same money
    assert seen.payments == paid.payments and root().payables.repo.reference(tenant, "statement", "btx-1") == made.id
    with pytest.raises(InvalidStateError):
        service.record_payment(tenant, made.id, 10_000, NOW, "pix", root().payables)


def test_eight_payments_at_once_pay_once(store):
    if store == "moto":
        pytest.skip("moto's in-process DynamoDB does not serialize conditional writes across threads")
    tenant = new_tenant()
    supplier = catalog.create_supplier(tenant, supplier_body(), root().catalog).id
    made = _bill(tenant, supplier)

    def pay(i: int) -> str:
        source = "local" if i % 2 else "statement"
        return service.record_payment(tenant, made.id, 10_000, NOW - timedelta(minutes=1), "pix", root().payables,
                                      source=source, reference=f"{source}-{i // 4}").status

    outcomes = run_concurrently(8, pay)
    after = root().payables.repo.get(tenant, made.id)
    assert len(after.payments) == 1 and after.paid_amount_cents == 10_000, (outcomes, after)
    assert set(outcomes) <= {"paid", "invalid_state", "conflict"}, outcomes
