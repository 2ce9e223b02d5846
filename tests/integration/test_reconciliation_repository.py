"""Reconciliation's behaviour over the in-memory table, moto and DynamoDB Local: a bank account is created
once whoever sees it first, a line is stored once however many imports of its file run (one after the
other or at once), a line's status moves under its version, a charge takes one line, lists read by status
and account to their end; and, whatever the order of provider notices, statement imports and a person's
matches (hypothesis), no line settles two charges and no charge is settled twice."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.collections import service as charges
from chalicelib.reconciliation import cnab240, service
from chalicelib.reconciliation.model import BankAccount, BankTransaction
from chalicelib.reconciliation.repository import DynamoReconciliationRepository, LostRaceError
from tests.deps import root
from tests.documents import fresh_cnpj
from tests.integration.repo_helpers import new_tenant, read_all
from tests.integration.test_stock_concurrency import run_concurrently

NOW = datetime(2026, 3, 2, 15, tzinfo=UTC)
TODAY = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def frozen(store):
    from chalicelib.platform.clock import FixedClock
    from tests.deps import use

    use(clock=FixedClock(NOW))


def repo() -> DynamoReconciliationRepository:
    return DynamoReconciliationRepository()


def account(n: int = 1) -> BankAccount:
    return BankAccount(id=root().ids.new("bac"), bank_code="341", agency="412", account=f"98765{n}",
                       created_at="2026-03-02T15:00:00.000Z")


def line(account_id: str, n: int, status: str = "unmatched") -> BankTransaction:
    return BankTransaction(id=root().ids.new("btx"), bank_account_id=account_id, statement_id="stm_x",
                           posted_on=TODAY, amount_cents=100 * n, description=f"PIX {n}", fitid=str(n), kind="CREDIT",
                           status=status, fingerprint=f"fp{n:04d}", created_at="2026-03-02T15:00:00.000Z",
                           updated_at="2026-03-02T15:00:00.000Z")


def test_an_account_is_created_once_and_found_after(store):
    tenant = new_tenant()
    first, created = repo().account_for(tenant, "341", "412", "987651", account)
    again, created_again = repo().account_for(tenant, "341", "412", "987651", account)
    assert (created, created_again, again) == (True, False, first)
    other, _ = repo().account_for(tenant, "341", "412", "987652", account)
    assert other.id != first.id
    assert {a.id for a in read_all(lambda n, c: repo().list_accounts(tenant, n, c), 1)} == {first.id, other.id}


def test_six_first_sights_at_once_make_one_account(store):
    if store == "moto":
        pytest.skip("moto's in-process DynamoDB does not serialize conditional writes across threads")
    tenant = new_tenant()
    outcomes = run_concurrently(6, lambda _: repo().account_for(tenant, "001", "1", "2", account)[0].id)
    assert len(outcomes) == 1, outcomes


def test_lines_are_stored_once_and_listed_by_status_and_account(store):
    tenant = new_tenant()
    bac = repo().account_for(tenant, "341", "412", "987651", account)[0]
    other = repo().account_for(tenant, "341", "412", "987652", account)[0]
    lines = [line(bac.id, n) for n in range(1, 61)]  # more than one transaction's worth
    assert len(repo().store_lines(tenant, lines)) == 60
    assert repo().store_lines(tenant, [line(bac.id, n) for n in range(1, 61)]) == []
    assert repo().known_fingerprints(tenant, bac.id, ["fp0001", "fp0060", "fp0999"]) == {"fp0001", "fp0060"}
    repo().store_lines(tenant, [line(other.id, 1)])
    everything = read_all(lambda n, c: repo().list_lines(tenant, None, None, n, c), 7)
    assert len(everything) == 61 and [t.id for t in everything] == sorted((t.id for t in everything), reverse=True)
    assert len(read_all(lambda n, c: repo().list_lines(tenant, "unmatched", bac.id, n, c), 9)) == 60
    assert len(read_all(lambda n, c: repo().list_lines(tenant, None, other.id, n, c), 9)) == 1
    assert read_all(lambda n, c: repo().list_lines(tenant, "matched", None, n, c), 9) == []


def test_four_imports_of_one_file_at_once_store_each_line_once(store):
    if store == "moto":
        pytest.skip("moto's in-process DynamoDB does not serialize conditional writes across threads")
    tenant = new_tenant()
    bac = repo().account_for(tenant, "341", "412", "987651", account)[0]
    outcomes = run_concurrently(4, lambda _: str(len(repo().store_lines(tenant, [line(bac.id, n)
                                                                                 for n in range(1, 71)]))))
    assert sum(int(k) * v for k, v in outcomes.items()) == 70, outcomes
    assert len(read_all(lambda n, c: repo().list_lines(tenant, None, None, n, c), 100)) == 70


def test_a_line_moves_under_its_version_and_a_charge_takes_one_line(store):
    from chalicelib.platform.dynamo import UnitOfWork

    tenant = new_tenant()
    bac = repo().account_for(tenant, "341", "412", "987651", account)[0]
    stored = repo().store_lines(tenant, [line(bac.id, 1), line(bac.id, 2)])
    first = stored[0]
    ignored = first.model_copy(update={"status": "ignored", "version": 2})
    repo().save_line(tenant, ignored, 1)
    with pytest.raises(LostRaceError):
        repo().save_line(tenant, first.model_copy(update={"status": "matched", "version": 2}), 1)
    assert repo().get_line(tenant, first.id).status == "ignored"
    assert [t.id for t in repo().list_lines(tenant, "ignored", None, 10, None).items] == [first.id]

    def claim(line_id: str) -> None:
        uow = UnitOfWork()
        repo().stage_target_claim(uow, tenant, "chg_01JCHARGECHARGECHARGECHARG", line_id, on_fail=_taken)
        uow.commit()

    claim(stored[1].id)
    with pytest.raises(_Taken):
        claim(first.id)
    assert repo().line_of_target(tenant, "chg_01JCHARGECHARGECHARGECHARG") == stored[1].id


class _Taken(Exception):
    pass


def _taken() -> None:
    raise _Taken


def test_an_older_statement_never_replaces_a_newer_balance(store):
    tenant = new_tenant()
    bac = repo().account_for(tenant, "341", "412", "987651", account)[0]
    assert repo().update_balance(tenant, bac, 5000, "2026-03-02") is True
    assert repo().update_balance(tenant, bac, 1000, "2026-02-27") is False
    assert repo().update_balance(tenant, bac, 7000, "2026-03-02") is True
    assert (repo().get_account(tenant, bac.id).balance_cents, repo().get_account(tenant, bac.id).balance_at) == (
        7000, "2026-03-02")


# --- settlement exactly once, whatever the order ----------------------------------------------------------

def _charges(tenant: str, n: int) -> list:
    from chalicelib.catalog import service as catalog
    from tests.api.test_catalog import customer_body

    customer = catalog.create_customer(tenant, customer_body(), root().catalog).id
    return [charges.create_charge(tenant, charges.NewCharge(customer_id=customer, amount_cents=10_000 + i,
                                                            due_date=TODAY + timedelta(days=3), method="boleto",
                                                            description=f"parcela {i}"), root().collections)
            for i in range(n)]


def _retorno(chosen: list) -> bytes:
    titles = [cnab240.Title(our_number=c.boleto.our_number, paid_cents=c.amount_cents, due_date=c.due_date,
                            face_value_cents=c.amount_cents, occurred_on=TODAY) for c in chosen]
    return cnab240.write_retorno("001", "1234", "123456", "7", TODAY, titles)


ACTIONS = st.lists(st.tuples(st.sampled_from(["notice", "notice_again", "statement", "manual_match", "manual_pay"]),
                             st.integers(0, 2)), min_size=1, max_size=10)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS)
def test_no_line_settles_two_charges_and_no_charge_is_settled_twice(store, actions):
    if store != "memory":
        pytest.skip("the property runs over the in-memory table (the same code paths, fast)")
    from chalicelib.collections.providers import PaymentNotice
    from chalicelib.platform.clock import rfc3339
    from chalicelib.platform.errors import AppError

    tenant = new_tenant(fresh_cnpj())  # a tenant per example
    three = _charges(tenant, 3)
    deps = root().reconciliation
    for action, i in actions:
        charge = three[i]
        try:
            if action in ("notice", "notice_again"):  # the provider's notice of the payment (repeats the same id)
                charges.settle_notice(PaymentNotice(
                    provider="local", event_id=f"psp-{charge.id}", tenant_id=tenant, charge_id=charge.id,
                    amount_cents=charge.amount_cents, paid_at=rfc3339(NOW), method="boleto"), root().collections)
            elif action == "statement":  # the bank's retorno showing it (some files hold others too)
                service.import_statement(tenant, _retorno([charge, *three[:i]]), deps)
                for matched_line in deps.repo.list_lines(tenant, "matched", None, 100, None).items:
                    service.settle_line(tenant, matched_line, "boleto", deps)  # what the queue's consumer does
            elif action == "manual_pay":
                charges.record_payment(tenant, charge.id, charge.amount_cents, NOW, "boleto", root().collections)
            else:  # a person matches the unmatched line of this charge's amount to it
                for unmatched in deps.repo.list_lines(tenant, "unmatched", None, 10, None).items:
                    if unmatched.amount_cents == charge.amount_cents:
                        service.match_line(tenant, unmatched.id, charge.id, None, deps)
        except AppError as exc:
            assert exc.code in ("invalid_state",), exc
    lines = read_all(lambda n, c: deps.repo.list_lines(tenant, None, None, n, c), 100)
    matched = [t for t in lines if t.status == "matched"]
    assert len({t.match.charge_id for t in matched if t.match}) == len(matched)  # a charge takes one line
    for charge in three:
        after = root().charge_repository.get(tenant, charge.id)
        money = [p for p in after.payments if p.outcome in ("paid", "overpaid", "underpaid")]
        assert len(money) <= 1, after.payments  # settled at most once
        assert after.paid_amount_cents in (0, charge.amount_cents)
        assert after.unapplied_cents == 0 or any(a == "manual_pay" for a, _ in actions)
