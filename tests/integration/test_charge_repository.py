"""The charge repository's behaviour (charges by status and customer, the sparse due-date index that
holds open charges only, an order's one set of charges, provider notices once, the nosso número
sequence, webhook secrets), the same suite over the in-memory table, moto and DynamoDB Local. The
clock stands on 2026-03-02 and every date comes from it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib.platform.errors import ConflictError, NotFoundError
from tests.api.test_catalog import customer_body
from tests.deps import root
from tests.integration.repo_helpers import new_tenant, read_all

TODAY = date(2026, 3, 2)


@pytest.fixture
def shop(store):
    from chalicelib.catalog import service as catalog
    from chalicelib.platform.clock import FixedClock
    from tests.deps import use

    use(clock=FixedClock(datetime(2026, 3, 2, 15, tzinfo=UTC)))
    tenant = new_tenant()
    customers = [catalog.create_customer(tenant, customer_body(document=d), root().catalog).id
                 for d in ("52998224725", "11144477735")]
    return tenant, customers


def charge(tenant: str, customer_id: str, due_in_days: int, amount_cents: int = 1000):
    from chalicelib.collections import service

    return service.create_charge(tenant, service.NewCharge(
        customer_id=customer_id, amount_cents=amount_cents, due_date=TODAY + timedelta(days=due_in_days),
        method="pix", description="x"), root().collections)


def test_charges_are_listed_newest_first_by_status_customer_and_due_date(shop):
    from chalicelib.collections import service

    tenant, (ana, bia) = shop
    made = [charge(tenant, ana, 5).id, charge(tenant, bia, 10).id, charge(tenant, ana, 20).id]
    service.cancel_charge(tenant, made[1], root().collections)
    repo = root().charge_repository
    for limit in (1, 2, 10):
        def ids(status=None, customer=None, before=None, n=limit):
            return [c.id for c in read_all(lambda k, c: repo.list(tenant, status, customer, before, k, c), n)]

        assert ids() == made[::-1]
        assert ids(status="cancelled") == [made[1]]
        assert ids(status="pending") == [made[2], made[0]]
        assert ids(customer=ana) == [made[2], made[0]]
        assert ids(before=str(TODAY + timedelta(days=11))) == [made[1], made[0]]


def test_the_due_date_index_holds_a_tenants_open_charges_only(shop):
    from chalicelib.catalog import service as catalog
    from chalicelib.collections import service

    tenant, (ana, bia) = shop
    other = new_tenant("60701190000104")
    foreign = catalog.create_customer(other, customer_body(), root().catalog).id
    kept, cancelled, paid = charge(tenant, ana, 3), charge(tenant, bia, 3), charge(tenant, ana, 3, 2000)
    charge(tenant, ana, 4)
    theirs = charge(other, foreign, 3)
    service.cancel_charge(tenant, cancelled.id, root().collections)
    service.record_payment(tenant, paid.id, 2000, datetime(2026, 3, 2, 14, tzinfo=UTC), "pix", root().collections)
    day = str(TODAY + timedelta(days=3))
    repo = root().charge_repository
    assert [c.id for c in repo.open_due_on(tenant, day)] == [kept.id]
    assert sorted(repo.pending_due_on(day)) == sorted([(tenant, kept.id), (other, theirs.id)])


def test_an_orders_charges_are_claimed_once(shop):
    from chalicelib.platform.dynamo import UnitOfWork

    tenant, _ = shop
    repo = root().charge_repository
    assert repo.order_charge_ids(tenant, "ord_01JXXXXXXXXXXXXXXXXXXXXXXX") is None
    first = UnitOfWork()
    repo.stage_order_claim(first, tenant, "ord_01JXXXXXXXXXXXXXXXXXXXXXXX", ["chg_1", "chg_2"], ConflictError("x"))
    first.commit()
    second = UnitOfWork()
    repo.stage_order_claim(second, tenant, "ord_01JXXXXXXXXXXXXXXXXXXXXXXX", ["chg_3"], ConflictError("claimed"))
    with pytest.raises(ConflictError):
        second.commit()
    assert repo.order_charge_ids(tenant, "ord_01JXXXXXXXXXXXXXXXXXXXXXXX") == ["chg_1", "chg_2"]


def test_a_provider_notice_is_recorded_once(shop):
    from chalicelib.platform.dynamo import UnitOfWork

    tenant, _ = shop
    repo = root().charge_repository
    assert repo.notice(tenant, "asaas", "evt_1") is None
    uow = UnitOfWork()
    repo.stage_notice(uow, tenant, "asaas", "evt_1", "chg_1", "pay_1", "paid", ConflictError("seen"))
    uow.commit()
    again = UnitOfWork()
    repo.stage_notice(again, tenant, "asaas", "evt_1", "chg_2", "pay_2", "paid", ConflictError("seen"))
    with pytest.raises(ConflictError):
        again.commit()
    seen = repo.notice(tenant, "asaas", "evt_1")
    assert (seen.charge_id, seen.payment_id, seen.outcome) == ("chg_1", "pay_1", "paid")
    assert repo.notice(tenant, "local", "evt_1") is None  # notices are per provider


def test_nosso_numeros_are_a_gapless_sequence_per_tenant(shop):
    tenant, _ = shop
    other = new_tenant("60701190000104")
    repo = root().charge_repository
    assert repo.reserve_nosso_numeros(tenant, 2) == [1, 2]
    assert repo.reserve_nosso_numeros(tenant, 3) == [3, 4, 5]
    assert repo.reserve_nosso_numeros(other, 1) == [1]


def test_an_exhausted_nosso_numero_sequence_is_refused_and_not_moved(shop):
    from chalicelib.collections import keys
    from chalicelib.collections.repository import NOSSO_NUMERO_MAX, CounterRecord

    tenant, _ = shop
    repo = root().charge_repository
    CounterRecord.at(keys.nosso_numero_counter(tenant), value=NOSSO_NUMERO_MAX - 1).save()
    with pytest.raises(ConflictError):
        repo.reserve_nosso_numeros(tenant, 2)
    assert repo.reserve_nosso_numeros(tenant, 1) == [NOSSO_NUMERO_MAX]


def test_a_webhook_secret_is_made_once_and_then_read(shop):
    tenant, _ = shop
    repo = root().charge_repository
    assert repo.webhook_secret(tenant, "local", create=False) is None
    made = repo.webhook_secret(tenant, "local")
    assert made.startswith("whsec_") and repo.webhook_secret(tenant, "local") == made
    assert repo.webhook_secret(tenant, "asaas") != made


def test_a_charge_is_saved_only_over_the_version_it_was_read_at(shop):
    from chalicelib.collections import service
    from chalicelib.platform.dynamo import UnitOfWork

    tenant, (ana, _) = shop
    made = charge(tenant, ana, 5)
    service.cancel_charge(tenant, made.id, root().collections)
    uow = UnitOfWork()
    root().charge_repository.stage_update(uow, tenant, made.model_copy(update={"version": made.version + 1}),
                                          made.version, ConflictError("changed"))
    with pytest.raises(ConflictError):
        uow.commit()
    assert root().charge_repository.get(tenant, made.id).status == "cancelled"
    with pytest.raises(NotFoundError):
        root().charge_repository.get(new_tenant("60701190000104"), made.id)
