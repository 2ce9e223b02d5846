"""The catalog repository's behaviour (customers with their document claims, products by SKU), the same
suite over the in-memory table, moto and DynamoDB Local."""

from __future__ import annotations

import pytest

from chalicelib.catalog import service
from chalicelib.platform.errors import ConflictError, NotFoundError
from tests.api.test_catalog import customer_body
from tests.deps import root
from tests.integration.repo_helpers import event_types, new_tenant, read_all

OTHER_CPF = "11144477735"


def product(sku: str) -> dict:
    return {"sku": sku, "name": f"Produto {sku}", "price_cents": 1000, "ncm": "09012100"}


def test_a_customer_is_found_by_id_and_by_document(store):
    tenant = new_tenant()
    made = service.create_customer(tenant, customer_body(), root().catalog)
    repo = root().catalog_repository
    assert repo.get_customer(tenant, made.id) == made
    assert repo.find_customer_by_document(tenant, made.document) == made
    assert repo.find_customer_by_document(tenant, OTHER_CPF) is None


def test_a_second_customer_with_the_same_document_leaves_nothing_behind(store):
    tenant = new_tenant()
    service.create_customer(tenant, customer_body(), root().catalog)
    with pytest.raises(ConflictError) as refused:
        service.create_customer(tenant, customer_body(name="Outra Maria"), root().catalog)
    assert [e.field for e in refused.value.errors] == ["document"]
    assert len(root().catalog_repository.list_customers(tenant, 10, None).items) == 1
    assert event_types(tenant).count("customer.created") == 1


def test_a_new_document_moves_the_claim_and_frees_the_old_one(store):
    tenant = new_tenant()
    made = service.create_customer(tenant, customer_body(), root().catalog)
    old = made.document
    service.update_customer(tenant, made.id, {"document": OTHER_CPF}, root().catalog)
    repo = root().catalog_repository
    assert repo.find_customer_by_document(tenant, OTHER_CPF).id == made.id
    assert repo.find_customer_by_document(tenant, old) is None
    again = service.create_customer(tenant, customer_body(), root().catalog)  # the old document is free
    assert again.id != made.id


def test_a_customer_is_saved_only_over_the_version_it_was_read_at(store):
    from chalicelib.platform.dynamo import UnitOfWork

    tenant = new_tenant()
    made = service.create_customer(tenant, customer_body(), root().catalog)
    service.update_customer(tenant, made.id, {"name": "Maria Souza"}, root().catalog)
    stale = made.model_copy(update={"name": "Perdida", "version": made.version + 1})
    uow = UnitOfWork()
    root().catalog_repository.stage_customer_update(uow, tenant, stale, made.version, made.document)
    with pytest.raises(ConflictError):
        uow.commit()
    assert root().catalog_repository.get_customer(tenant, made.id).name == "Maria Souza"


def test_customers_are_listed_newest_first_across_pages(store):
    tenant = new_tenant()
    documents = ["52998224725", OTHER_CPF, "12345678909"]
    made = [service.create_customer(tenant, customer_body(document=d), root().catalog).id for d in documents]
    repo = root().catalog_repository
    for limit in (1, 2, 3, 10):
        listed = read_all(lambda n, c: repo.list_customers(tenant, n, c), limit)
        assert [c.id for c in listed] == made[::-1], limit


def test_a_sku_is_registered_once_per_tenant(store):
    tenant, other = new_tenant(), new_tenant("60701190000104")
    service.create_product(tenant, product("CAFE"), root().catalog)
    with pytest.raises(ConflictError) as refused:
        service.create_product(tenant, product("CAFE"), root().catalog)
    assert [e.field for e in refused.value.errors] == ["sku"]
    service.create_product(other, product("CAFE"), root().catalog)  # another tenant's catalog is its own
    assert event_types(tenant).count("product.created") == 1


def test_products_are_read_in_one_batch_and_listed_by_sku(store):
    tenant = new_tenant()
    for sku in ("C", "A", "B"):
        service.create_product(tenant, product(sku), root().catalog)
    repo = root().catalog_repository
    assert sorted(repo.get_products(tenant, ["A", "C", "MISSING", "A"])) == ["A", "C"]
    for limit in (1, 2, 5):
        assert [p.sku for p in read_all(lambda n, c: repo.list_products(tenant, n, c), limit)] == ["A", "B", "C"]


def test_a_product_update_over_a_stale_version_is_refused(store):
    from chalicelib.platform.dynamo import UnitOfWork

    tenant = new_tenant()
    made = service.create_product(tenant, product("CAFE"), root().catalog)
    service.update_product(tenant, "CAFE", {"price_cents": 1200}, root().catalog)
    uow = UnitOfWork()
    root().catalog_repository.stage_product_update(uow, tenant, made.model_copy(update={"version": 2}), made.version)
    with pytest.raises(ConflictError):
        uow.commit()
    assert root().catalog_repository.get_product(tenant, "CAFE").price_cents == 1200


def test_another_tenants_customer_and_product_are_not_found(store):
    tenant, other = new_tenant(), new_tenant("60701190000104")
    made = service.create_customer(tenant, customer_body(), root().catalog)
    service.create_product(tenant, product("CAFE"), root().catalog)
    repo = root().catalog_repository
    with pytest.raises(NotFoundError):
        repo.get_customer(other, made.id)
    with pytest.raises(NotFoundError):
        repo.get_product(other, "CAFE")
    with pytest.raises(NotFoundError):
        repo.get_customer(tenant, "not-an-id")
    assert repo.find_customer_by_document(other, made.document) is None


def test_suppliers_are_stored_like_customers_with_claims_of_their_own(store):
    from tests.api.test_suppliers import CNPJ_SUPPLIER, supplier_body

    tenant = new_tenant()
    repo = root().catalog_repository
    supplier = service.create_supplier(tenant, supplier_body(), root().catalog)
    assert repo.get_supplier(tenant, supplier.id) == supplier
    assert repo.find_supplier_by_document(tenant, CNPJ_SUPPLIER) == supplier
    assert repo.find_customer_by_document(tenant, CNPJ_SUPPLIER) is None
    customer = service.create_customer(tenant, customer_body(document=CNPJ_SUPPLIER), root().catalog)
    assert repo.find_customer_by_document(tenant, CNPJ_SUPPLIER) == customer
    with pytest.raises(ConflictError):
        service.create_supplier(tenant, supplier_body(name="Outra"), root().catalog)
    moved = service.update_supplier(tenant, supplier.id, {"document": OTHER_CPF}, root().catalog)
    assert repo.find_supplier_by_document(tenant, OTHER_CPF) == moved
    assert repo.find_supplier_by_document(tenant, CNPJ_SUPPLIER) is None
    assert [s.id for s in read_all(lambda n, c: repo.list_suppliers(tenant, n, c), 1)] == [supplier.id]
    assert [c.id for c in read_all(lambda n, c: repo.list_customers(tenant, n, c), 1)] == [customer.id]
    with pytest.raises(NotFoundError):
        repo.get_supplier(tenant, customer.id)
