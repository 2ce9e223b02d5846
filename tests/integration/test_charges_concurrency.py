"""Settlement and charge creation under concurrent delivery, against DynamoDB Local."""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import timedelta
from types import SimpleNamespace

import pytest

from chalicelib.collections.providers import PaymentNotice
from chalicelib.platform.clock import business_date, rfc3339
from tests.integration.test_stock_concurrency import run_concurrently

pytestmark = pytest.mark.dynamodb_local

TENANT = "ten_01JAAAAAAAAAAAAAAAAAAAAAAA"
CUSTOMER = "cus_01JAAAAAAAAAAAAAAAAAAAAAAA"


def deps():
    from chalicelib.tenants.model import CollectionsSettings, InvoicingSettings
    from tests.deps import root

    tenant = SimpleNamespace(legal_name="Loja Exemplo LTDA", cnpj="11222333000181",
                             address=SimpleNamespace(city="São Paulo"),
                             settings=SimpleNamespace(collections=CollectionsSettings(pix_key="11222333000181"),
                                                      invoicing=InvoicingSettings(enabled=False)))
    customer = SimpleNamespace(id=CUSTOMER, name="Maria", document="52998224725", email=None, document_type="cpf")
    return dataclasses.replace(root().collections, tenant=lambda _t: tenant, customer=lambda _t, _c: customer)


def new_charge(d, method="pix", amount=10_000):
    from chalicelib.collections import service

    return service.create_charge(TENANT, service.NewCharge(
        customer_id=CUSTOMER, amount_cents=amount, due_date=business_date(d.clock.now()) + timedelta(days=3),
        method=method, description="x"), d)


def paid_at(d) -> str:
    """One instant for a test's notices, an hour before the service's now."""
    return rfc3339(d.clock.now() - timedelta(hours=1))


def test_the_same_notice_delivered_20_times_at_once_settles_once(ddb_local):
    from chalicelib.collections import service
    from chalicelib.eventlog.repository import DynamoEventLog

    d = deps()
    charge = new_charge(d)
    notice = PaymentNotice(provider="local", event_id="evt-same", tenant_id=TENANT, charge_id=charge.id,
                           amount_cents=10_000, paid_at=paid_at(d), method="pix")

    def work(_: int) -> str:
        outcome = service.settle_notice(notice, d)
        return "replayed" if outcome.replayed else outcome.payment.outcome

    outcomes = run_concurrently(20, work)
    assert outcomes == Counter({"paid": 1, "replayed": 19}), outcomes
    settled = d.repo.get(TENANT, charge.id)
    assert settled.status == "paid" and settled.paid_amount_cents == 10_000 and len(settled.payments) == 1
    paid_events = DynamoEventLog().list(TENANT, "charge.paid", 100, None).items
    assert len(paid_events) == 1


def test_20_different_notices_at_once_are_each_recorded_and_pay_once(ddb_local):
    from chalicelib.collections import service

    d = deps()
    charge, at = new_charge(d, amount=10_000), paid_at(d)
    outcomes = run_concurrently(20, lambda i: service.settle_notice(PaymentNotice(
        provider="local", event_id=f"evt-{i}", tenant_id=TENANT, charge_id=charge.id, amount_cents=1_000,
        paid_at=at, method="pix"), d).payment.outcome)
    assert outcomes == Counter({"underpaid": 9, "paid": 1, "charge_already_paid": 10}), outcomes
    settled = d.repo.get(TENANT, charge.id)
    assert settled.paid_amount_cents == 10_000 and len(settled.payments) == 20


def test_one_event_id_with_two_contents_at_once_settles_one_and_refuses_the_other(ddb_local):
    from chalicelib.collections import service

    d = deps()
    charge, at = new_charge(d, amount=10_000), paid_at(d)

    def work(i: int) -> str:
        outcome = service.settle_notice(PaymentNotice(
            provider="local", event_id="evt-reused", tenant_id=TENANT, charge_id=charge.id,
            amount_cents=4_000 if i % 2 else 6_000, paid_at=at, method="pix"), d)
        return "replayed" if outcome.replayed else f"settled {outcome.payment.amount_cents}"

    outcomes = run_concurrently(20, work)
    settled = d.repo.get(TENANT, charge.id)
    (payment,) = settled.payments
    assert outcomes == Counter({f"settled {payment.amount_cents}": 1, "replayed": 9, "notice_id_reused": 10}), outcomes
    assert settled.paid_amount_cents == payment.amount_cents and settled.status == "pending"


def test_an_order_delivered_20_times_at_once_gets_one_set_of_charges(ddb_local):
    from chalicelib.collections import service

    d = deps()
    order = {"id": "ord_01JAAAAAAAAAAAAAAAAAAAAAAA", "customer_id": CUSTOMER, "total_cents": 10_001,
             "payment": {"method": "boleto", "installments": 3, "first_due_in_days": 3}}
    outcomes = run_concurrently(20, lambda _: ",".join(c.id for c in service.create_order_charges(TENANT, order, d)))
    assert len(outcomes) == 1, outcomes
    ids = next(iter(outcomes)).split(",")
    charges = [d.repo.get(TENANT, cid) for cid in ids]
    assert [c.amount_cents for c in charges] == [3335, 3333, 3333]
    assert len({c.boleto.our_number for c in charges}) == 3
    assert d.repo.list(TENANT, None, None, None, 100, None).items.__len__() == 3
