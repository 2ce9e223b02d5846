"""The invoice repository's behaviour (a série's counter that hands each number out once and jumps
voided ranges, an order's one invoice, saves over the version read, listings by status), the same suite
over the in-memory table, moto and DynamoDB Local."""

from __future__ import annotations

import pytest

from chalicelib.invoicing.model import InvoiceDoc
from chalicelib.invoicing.repository import Numbering, NumberTakenError
from chalicelib.platform.errors import ConflictError, NotFoundError
from tests.deps import root
from tests.integration.repo_helpers import read_all

TENANT = "ten_01JINVOICEINVOICEINVOICEIN"


def doc(number: int, order: str, *, series: int = 1, status: str = "pending") -> InvoiceDoc:
    return InvoiceDoc(id=f"inv_01J{series}{order.upper():0>22}", order_id=f"ord_01J{order.upper():0>23}",
                      series=series, number=number, cnf="12345678", status=status,
                      environment="homologacao", issued_at="2026-03-02T12:00:00Z")


def emit(order: str, *, series: int = 1, status: str = "pending") -> InvoiceDoc:
    repo = root().invoice_repository
    seen = repo.numbering(TENANT, series)
    invoice = doc(seen.first_usable, order, series=series, status=status)
    repo.create_numbered(TENANT, invoice, seen)
    return invoice


def test_a_new_series_starts_at_one_and_each_invoice_takes_the_next_number(store):
    repo = root().invoice_repository
    assert repo.numbering(TENANT, 1) == Numbering()
    assert [emit(o).number for o in ("a", "b", "c")] == [1, 2, 3]
    assert emit("d", series=2).number == 1  # each série counts on its own
    assert repo.next_number(TENANT, 1) == 4


def test_a_number_read_by_two_emissions_goes_to_one_of_them(store):
    repo = root().invoice_repository
    seen = repo.numbering(TENANT, 1)
    repo.create_numbered(TENANT, doc(1, "a"), seen)
    with pytest.raises(NumberTakenError):
        repo.create_numbered(TENANT, doc(1, "b"), seen)
    assert repo.find_by_order(TENANT, "ord_01J" + "B".rjust(23, "0")) is None
    assert repo.next_number(TENANT, 1) == 2


def test_an_order_has_one_invoice(store):
    repo = root().invoice_repository
    first = emit("a")
    with pytest.raises(ConflictError):
        emit("a")
    assert repo.find_by_order(TENANT, first.order_id) == first
    assert repo.next_number(TENANT, 1) == 2  # the refused one consumed no number


def test_a_void_ahead_of_the_counter_is_jumped_when_the_counter_gets_there(store):
    repo = root().invoice_repository
    emit("a")
    repo.void_range(TENANT, 1, 3, 5, repo.numbering(TENANT, 1), "vd_1", {"first": 3, "last": 5}, [], [])
    assert [emit(o).number for o in ("b", "c")] == [2, 6]


def test_a_void_at_the_counter_moves_it_and_one_behind_it_changes_nothing(store):
    repo = root().invoice_repository
    emit("a")
    repo.void_range(TENANT, 1, 2, 4, repo.numbering(TENANT, 1), "vd_1", {}, [], [])
    assert repo.next_number(TENANT, 1) == 5
    repo.void_range(TENANT, 1, 1, 1, repo.numbering(TENANT, 1), "vd_2", {}, [], [])
    assert repo.next_number(TENANT, 1) == 5
    with pytest.raises(NumberTakenError):  # a void over a counter someone else moved since it was read
        stale = Numbering(next_number=5, version=1)
        repo.void_range(TENANT, 1, 5, 6, stale, "vd_3", {}, [], [])
    assert repo.next_number(TENANT, 1) == 5


def test_numbers_in_use_are_the_series_invoices_in_the_range(store):
    repo = root().invoice_repository
    for order in "abcd":
        emit(order)
    emit("e", series=2)
    assert sorted(i.number for i in repo.numbers_in_use(TENANT, 1, 2, 3)) == [2, 3]
    assert repo.numbers_in_use(TENANT, 1, 9, 12) == []


def test_an_invoice_is_saved_over_the_version_it_was_read_at_and_listed_by_status(store):
    repo = root().invoice_repository
    made = [emit(order) for order in "abc"]
    authorized = made[1].model_copy(update={"status": "authorized", "version": 2})
    repo.save(TENANT, authorized, 1, [])
    with pytest.raises(ConflictError):
        repo.save(TENANT, made[1].model_copy(update={"status": "rejected", "version": 2}), 1, [])
    assert repo.get(TENANT, made[1].id).status == "authorized"
    for limit in (1, 2, 10):
        assert [i.id for i in read_all(lambda n, c: repo.list(TENANT, None, n, c), limit)] == [i.id for i in made][::-1]
        assert [i.id for i in read_all(lambda n, c: repo.list(TENANT, "authorized", n, c), limit)] == [made[1].id]
        assert [i.id for i in read_all(lambda n, c: repo.list(TENANT, "pending", n, c), limit)] == [made[2].id, made[0].id]


def test_a_renumbered_invoice_takes_the_counters_next_number(store):
    repo = root().invoice_repository
    first = emit("a")
    seen = repo.numbering(TENANT, 1)
    repo.renumber(TENANT, first.model_copy(update={"number": seen.first_usable, "version": 2}), 1, seen)
    assert repo.get(TENANT, first.id).number == 2 and repo.next_number(TENANT, 1) == 3


def test_another_tenants_invoice_is_not_found(store):
    made = emit("a")
    with pytest.raises(NotFoundError):
        root().invoice_repository.get("ten_01JOTHEROTHEROTHEROTHEROTH", made.id)
    assert root().invoice_repository.find_by_order("ten_01JOTHEROTHEROTHEROTHEROTH", made.order_id) is None
