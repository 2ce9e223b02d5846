"""The order repository's behaviour (orders by id, by status through the index, by customer, newest
first, saved over the version they were read at), the same suite over memory, moto and DynamoDB Local."""

from __future__ import annotations

import pytest

from chalicelib.platform.errors import ConflictError, NotFoundError
from tests.api.test_catalog import customer_body
from tests.deps import root
from tests.integration.repo_helpers import new_tenant, read_all


@pytest.fixture
def shop(store):
    from chalicelib.catalog import service as catalog
    from chalicelib.stock import service as stock

    tenant = new_tenant()
    customers = [catalog.create_customer(tenant, customer_body(document=d), root().catalog).id
                 for d in ("52998224725", "11144477735")]
    catalog.create_product(tenant, {"sku": "CAFE", "name": "Café", "price_cents": 1000, "ncm": "09012100"},
                           root().catalog)
    stock.record_movement(tenant, stock.NewMovement("CAFE", "receipt", 100, "main"), root().stock)
    return tenant, customers


def place(tenant: str, customer_id: str, quantity: int = 1) -> str:
    from chalicelib.orders import service
    from chalicelib.orders.model import LineRequest, Payment

    cmd = service.NewOrder(customer_id=customer_id, lines=[LineRequest("CAFE", quantity, None)],
                           payment=Payment(method="pix"))
    return service.place_order(tenant, cmd, root().orders).id


def test_a_placed_order_reads_back_whole(shop):
    tenant, (customer, _) = shop
    order = root().order_repository.get(tenant, place(tenant, customer, 3))
    assert order.customer_id == customer and order.status == "confirmed"
    assert [(line.sku, line.quantity) for line in order.lines] == [("CAFE", 3)]


def test_orders_are_listed_newest_first_and_filtered_by_status_and_customer(shop):
    from chalicelib.orders import service

    tenant, (ana, bia) = shop
    placed = [place(tenant, ana), place(tenant, bia), place(tenant, ana)]
    service.cancel_order(tenant, placed[1], "desistência", root().orders)
    repo = root().order_repository
    for limit in (1, 2, 10):
        assert [o.id for o in read_all(lambda n, c: repo.list(tenant, None, None, n, c), limit)] == placed[::-1]
        assert [o.id for o in read_all(lambda n, c: repo.list(tenant, "cancelled", None, n, c), limit)] == [placed[1]]
        by_ana = read_all(lambda n, c: repo.list(tenant, None, ana, n, c), limit)
        assert [o.id for o in by_ana] == [placed[2], placed[0]]
    assert [o.id for o in repo.list(tenant, "confirmed", bia, 10, None).items] == []


def test_an_order_is_saved_only_over_the_version_it_was_read_at(shop):
    from chalicelib.orders import service
    from chalicelib.platform.dynamo import UnitOfWork

    tenant, (customer, _) = shop
    order_id = place(tenant, customer)
    stale = root().order_repository.get(tenant, order_id)
    service.cancel_order(tenant, order_id, "desistência", root().orders)
    uow = UnitOfWork()
    root().order_repository.stage_update(uow, tenant, stale.model_copy(update={"version": stale.version + 1}),
                                         stale.version, ConflictError("changed"))
    with pytest.raises(ConflictError):
        uow.commit()
    assert root().order_repository.get(tenant, order_id).status == "cancelled"


def test_an_order_id_is_written_once(shop):
    from pynamodb.exceptions import TransactWriteError

    from chalicelib.platform.dynamo import UnitOfWork

    tenant, (customer, _) = shop
    order = root().order_repository.get(tenant, place(tenant, customer))
    uow = UnitOfWork()
    root().order_repository.stage_new(uow, tenant, order)
    with pytest.raises(TransactWriteError):  # no answer of its own: a repeated id is a bug, not a client's error
        uow.commit()


def test_another_tenants_order_is_not_found(shop):
    tenant, (customer, _) = shop
    order_id = place(tenant, customer)
    other = new_tenant("60701190000104")
    with pytest.raises(NotFoundError):
        root().order_repository.get(other, order_id)
    with pytest.raises(NotFoundError):
        root().order_repository.get(tenant, "ord_not-an-id")
    assert root().order_repository.list(other, None, None, 10, None).items == []
