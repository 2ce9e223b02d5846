"""NF-e numbering under concurrent emissions, against DynamoDB Local (S3 and Secrets Manager in moto)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from moto import mock_aws


@pytest.fixture
def fiscal(ddb_local: str) -> Iterator[dict[str, str]]:
    """A tenant with a customer and a stocked product; DynamoDB Local for the table, moto for the rest."""
    from chalicelib.catalog import service as catalog
    from chalicelib.platform.aws import client, reset_clients
    from chalicelib.platform.config import get_settings
    from chalicelib.stock import service as stock
    from chalicelib.tenants import service as tenants
    from tests.api.conftest import tenant_body
    from tests.api.test_catalog import customer_body
    from tests.deps import root

    with mock_aws():  # DynamoDB calls go to DynamoDB Local's endpoint; moto answers S3 and secrets
        reset_clients()
        client("s3").create_bucket(Bucket=get_settings().documents_bucket)
        tenant, _, _ = tenants.create_tenant(tenants.NewTenant(**tenant_body()), root().tenants)
        customer = catalog.create_customer(tenant.id, customer_body(), root().catalog)
        catalog.create_product(tenant.id, {"sku": "CAFE", "name": "Café", "price_cents": 1000, "ncm": "09012100"},
                               root().catalog)
        stock.record_movement(tenant.id, stock.NewMovement("CAFE", "receipt", 1000, "main"), root().stock)
        yield {"tenant_id": tenant.id, "customer_id": customer.id}
        reset_clients()


def place(fiscal: dict[str, str]) -> str:
    from chalicelib.orders import service
    from chalicelib.orders.model import LineRequest, Payment
    from tests.deps import root

    cmd = service.NewOrder(customer_id=fiscal["customer_id"], lines=[LineRequest("CAFE", 1, None)],
                           payment=Payment(method="pix"))
    return service.place_order(fiscal["tenant_id"], cmd, root().orders).id


def test_concurrent_emissions_take_each_number_once_and_leave_no_gap(fiscal):
    from chalicelib.invoicing.service import emit_invoice
    from tests.deps import root

    orders = [place(fiscal) for _ in range(12)]
    with ThreadPoolExecutor(max_workers=6) as pool:
        invoices = list(pool.map(lambda o: emit_invoice(fiscal["tenant_id"], o, root().invoicing), orders))
    assert sorted(i.number for i in invoices) == list(range(1, 13))
    assert {i.status for i in invoices} == {"authorized"}
    assert len({i.access_key for i in invoices}) == 12
    assert root().invoice_repository.next_number(fiscal["tenant_id"], 1) == 13


def test_one_order_emitted_by_many_workers_at_once_gets_one_nfe(fiscal):
    from chalicelib.invoicing.service import emit_invoice
    from tests.deps import root

    order = place(fiscal)
    with ThreadPoolExecutor(max_workers=6) as pool:
        invoices = list(pool.map(lambda _: emit_invoice(fiscal["tenant_id"], order, root().invoicing),
                                 range(6)))
    assert len({i.id for i in invoices}) == 1 and invoices[0].number == 1
    final = root().invoice_repository.get(fiscal["tenant_id"], invoices[0].id)
    assert final.status == "authorized"
    assert root().invoice_repository.next_number(fiscal["tenant_id"], 1) == 2


def test_an_authority_outage_leaves_the_nfe_pending_with_nothing_lost_then_it_goes_through(fiscal):
    from chalicelib.invoicing.authority import AuthorityUnavailableError
    from chalicelib.invoicing.service import emit_invoice
    from tests.deps import root

    order = place(fiscal)
    authority = root().local_authority
    real = authority.authorize

    def down(*_, **__):
        raise AuthorityUnavailableError("SEFAZ fora do ar")

    authority.authorize = down
    try:
        with pytest.raises(AuthorityUnavailableError):
            emit_invoice(fiscal["tenant_id"], order, root().invoicing)
    finally:
        authority.authorize = real
    pending = root().invoice_repository.find_by_order(fiscal["tenant_id"], order)
    assert pending.status == "pending" and pending.number == 1 and pending.attempts == 1
    stored = root().invoicing.documents.get(fiscal["tenant_id"], pending.id, "nfe.xml")
    assert stored.startswith(b"<?xml")
    done = emit_invoice(fiscal["tenant_id"], order, root().invoicing)
    assert done.status == "authorized" and done.number == 1
