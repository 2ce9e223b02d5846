"""The table's own behaviour suite: conditions, updates, transactions and queries as DynamoDB judges them.

Run over the in-memory table, moto and DynamoDB Local with the same expectations, so the in-memory table
(platform/memory.py) is held to what the real engine does, case by case.
"""

from __future__ import annotations

import pytest
from pynamodb.attributes import ListAttribute, NumberAttribute, NumberSetAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.exceptions import PutError, QueryError, TransactWriteError, UpdateError
from pynamodb.expressions.condition import size
from pynamodb.expressions.operand import Path

from chalicelib.platform.dynamo import BaseRecord, UnitOfWork
from chalicelib.platform.keys import Key


class ProbeRecord(BaseRecord):
    """A record with one attribute of each shape the conditions below look at."""

    name = UnicodeAttribute(null=True)
    amount = NumberAttribute(null=True)
    tags = UnicodeSetAttribute(null=True)
    scores = NumberSetAttribute(null=True)
    history = ListAttribute(null=True)  # type: ignore[var-annotated]


PK = "PROBE#t1"


def probe(sk: str = "item", **attributes: object) -> ProbeRecord:
    record = ProbeRecord(PK, sk, **attributes)
    record.save()
    return record


def holds(condition: object, sk: str = "item") -> bool:
    """Whether a conditional write at `sk` goes through (and so whether the condition held)."""
    try:
        ProbeRecord.at(Key(PK, sk)).update(actions=[ProbeRecord.kind.set("probed")], condition=condition)
    except UpdateError as exc:
        assert exc.cause_response_code == "ConditionalCheckFailedException"
        return False
    return True


CONDITIONS = [
    ("equal", lambda: ProbeRecord.name == "ana", True),
    ("equal other", lambda: ProbeRecord.name == "bia", False),
    ("not equal", lambda: ProbeRecord.name != "bia", True),
    ("not equal on a missing attribute", lambda: ProbeRecord.gsi1pk != "x", True),
    ("equal on a missing attribute", lambda: ProbeRecord.gsi1pk == "x", False),
    ("less than on a missing attribute", lambda: ProbeRecord.expires_at < 10, False),
    ("number order is numeric", lambda: ProbeRecord.amount > 9, True),
    ("number at most", lambda: ProbeRecord.amount <= 10, True),
    ("number less", lambda: ProbeRecord.amount < 10, False),
    ("string order", lambda: ProbeRecord.name < "b", True),
    ("string order by code point", lambda: ProbeRecord.name < "Z", False),
    ("between", lambda: ProbeRecord.amount.between(5, 10), True),
    ("between outside", lambda: ProbeRecord.amount.between(11, 20), False),
    ("in", lambda: ProbeRecord.name.is_in("bia", "ana"), True),
    ("not in", lambda: ProbeRecord.name.is_in("bia", "caio"), False),
    ("begins with", lambda: ProbeRecord.name.startswith("an"), True),
    ("begins with other", lambda: ProbeRecord.name.startswith("na"), False),
    ("contains a substring", lambda: ProbeRecord.name.contains("n"), True),
    ("contains a set member", lambda: ProbeRecord.tags.contains("vip"), True),
    ("contains no set member", lambda: ProbeRecord.tags.contains("new"), False),
    ("contains a number set member", lambda: ProbeRecord.scores.contains(3), True),
    ("contains a list element", lambda: ProbeRecord.history.contains("paid"), True),
    ("exists", lambda: ProbeRecord.amount.exists(), True),
    ("does not exist", lambda: ProbeRecord.gsi1pk.does_not_exist(), True),
    ("exists on a missing attribute", lambda: ProbeRecord.gsi1pk.exists(), False),
    ("is of type", lambda: ProbeRecord.amount.is_type(), True),
    ("is not of type", lambda: Path(ProbeRecord.amount).is_type("S"), False),
    ("size of a string", lambda: size(ProbeRecord.name) == 3, True),
    ("size of a set", lambda: size(ProbeRecord.tags) > 1, True),
    ("size of a list", lambda: size(ProbeRecord.history) == 3, False),
    ("and", lambda: (ProbeRecord.name == "ana") & (ProbeRecord.amount == 10), True),
    ("and one false", lambda: (ProbeRecord.name == "ana") & (ProbeRecord.amount == 11), False),
    ("or", lambda: (ProbeRecord.name == "bia") | (ProbeRecord.amount == 10), True),
    ("not", lambda: ~(ProbeRecord.name == "bia"), True),
    ("nested", lambda: ~((ProbeRecord.name == "ana") & ProbeRecord.gsi1pk.exists()) | (ProbeRecord.amount < 0), True),
]


def test_each_condition_holds_as_dynamodb_judges_it(store):
    probe(name="ana", amount=10, tags={"vip", "b2b"}, scores={1, 3}, history=["created", "paid"])
    judged = {name: holds(condition()) for name, condition, _ in CONDITIONS}
    assert judged == {name: expected for name, _, expected in CONDITIONS}


def test_a_condition_on_an_absent_item_sees_no_attributes(store):
    assert holds(ProbeRecord.pk.does_not_exist(), sk="absent")
    assert not holds(ProbeRecord.pk.exists(), sk="other-absent")
    assert holds(ProbeRecord.name != "x", sk="third-absent")  # `<>` on a missing attribute holds


def test_updates_apply_set_arithmetic_if_not_exists_list_append_remove_add_and_delete(store):
    record = probe(name="ana", amount=10, tags={"vip", "b2b", "old"}, history=["created"])
    record.update(actions=[
        ProbeRecord.amount.set(ProbeRecord.amount + 5),
        ProbeRecord.expires_at.set(ProbeRecord.expires_at | 99),
        ProbeRecord.history.set(ProbeRecord.history.append(["paid"])),
        ProbeRecord.name.remove(),
        ProbeRecord.tags.delete({"old"}),
        ProbeRecord.scores.add({7}),
    ])
    stored = ProbeRecord.get(PK, "item", consistent_read=True)
    assert (stored.amount, stored.expires_at, stored.history, stored.name) == (15, 99, ["created", "paid"], None)
    assert (stored.tags, stored.scores) == ({"vip", "b2b"}, {7})
    stored.update(actions=[ProbeRecord.amount.add(-20), ProbeRecord.expires_at.set(ProbeRecord.expires_at | 1),
                           ProbeRecord.tags.delete({"vip", "b2b"})])
    again = ProbeRecord.get(PK, "item", consistent_read=True)
    assert (again.amount, again.expires_at, again.tags) == (-5, 99, None)  # an emptied set is removed


def test_an_update_creates_the_item_it_does_not_find(store):
    ProbeRecord.at(Key(PK, "fresh")).update(actions=[ProbeRecord.amount.add(2)])
    assert ProbeRecord.get(PK, "fresh", consistent_read=True).amount == 2


def test_a_failed_put_condition_is_a_conditional_check_failure_and_writes_nothing(store):
    probe(name="ana")
    with pytest.raises(PutError) as failure:
        ProbeRecord(PK, "item", name="bia").save(condition=ProbeRecord.pk.does_not_exist())
    assert failure.value.cause_response_code == "ConditionalCheckFailedException"
    assert ProbeRecord.get(PK, "item", consistent_read=True).name == "ana"


def test_a_transaction_writes_all_or_nothing_and_names_the_failed_action(store):
    probe("a", amount=1)
    uow = UnitOfWork()
    uow.put(ProbeRecord(PK, "b", amount=2), condition=ProbeRecord.pk.does_not_exist())
    uow.update(ProbeRecord.at(Key(PK, "a")), [ProbeRecord.amount.set(5)], condition=ProbeRecord.amount == 2,
               on_fail=LookupError("a changed"))
    uow.delete(ProbeRecord.at(Key(PK, "c")))
    with pytest.raises(LookupError, match="a changed"):
        uow.commit()
    assert ProbeRecord.get(PK, "a", consistent_read=True).amount == 1
    assert ProbeRecord.count(PK, ProbeRecord.sk == "b") == 0

    uow = UnitOfWork()
    uow.put(ProbeRecord(PK, "b", amount=2), condition=ProbeRecord.pk.does_not_exist())
    uow.update(ProbeRecord.at(Key(PK, "a")), [ProbeRecord.amount.set(5)], condition=ProbeRecord.amount == 1)
    uow.check(ProbeRecord, Key(PK, "a-check"), ProbeRecord.pk.does_not_exist())
    uow.commit()
    assert ProbeRecord.get(PK, "a", consistent_read=True).amount == 5
    assert ProbeRecord.get(PK, "b", consistent_read=True).amount == 2


def test_a_transaction_refuses_two_actions_on_one_item(store):
    uow = UnitOfWork()
    uow.put(ProbeRecord(PK, "twice", amount=1))
    uow.update(ProbeRecord.at(Key(PK, "twice")), [ProbeRecord.amount.set(2)])
    with pytest.raises(TransactWriteError) as failure:
        uow.commit()
    assert failure.value.cause_response_code == "ValidationException"
    assert ProbeRecord.count(PK, ProbeRecord.sk == "twice") == 0


def test_a_query_reads_one_partition_in_sort_key_order_with_limit_before_filter_and_resumes(store):
    for n, sk in enumerate(["b", "a", "d", "c", "e"]):
        probe(f"ROW#{sk}", amount=n)
    probe("OTHER#z", amount=99)
    ProbeRecord("PROBE#t2", "ROW#a", amount=0).save()
    rows = ProbeRecord.query(PK, ProbeRecord.sk.startswith("ROW#"))
    assert [r.sk for r in rows] == ["ROW#a", "ROW#b", "ROW#c", "ROW#d", "ROW#e"]
    newest = ProbeRecord.query(PK, ProbeRecord.sk.startswith("ROW#"), scan_index_forward=False, limit=2)
    assert [r.sk for r in newest] == ["ROW#e", "ROW#d"]

    first = ProbeRecord._get_connection().query(PK, ProbeRecord.sk.between("ROW#a", "ROW#z"),
                                                filter_condition=ProbeRecord.amount > 1, limit=3)
    assert first["ScannedCount"] == 3 and [i["sk"]["S"] for i in first["Items"]] == ["ROW#c"]
    assert {k: v["S"] for k, v in first["LastEvaluatedKey"].items()} == {"pk": PK, "sk": "ROW#c"}
    rest = ProbeRecord.query(PK, ProbeRecord.sk.between("ROW#a", "ROW#z"), last_evaluated_key=first["LastEvaluatedKey"])
    assert [r.sk for r in rest] == ["ROW#d", "ROW#e"]


def test_a_secondary_index_is_sparse_ordered_by_its_sort_key_and_never_strongly_consistent(store):
    probe("one", gsi1pk="STATUS#open", gsi1sk="2026-03-02")
    probe("two", gsi1pk="STATUS#open", gsi1sk="2026-03-01")
    probe("three", gsi1pk="STATUS#paid", gsi1sk="2026-03-03")
    probe("four")
    assert [r.sk for r in ProbeRecord.gsi1.query("STATUS#open")] == ["two", "one"]
    assert [r.sk for r in ProbeRecord.gsi1.query("STATUS#open", ProbeRecord.gsi1sk >= "2026-03-02")] == ["one"]
    with pytest.raises(QueryError) as failure:
        list(ProbeRecord.gsi1.query("STATUS#open", consistent_read=True))
    assert failure.value.cause_response_code == "ValidationException"


def test_a_batch_get_returns_the_items_it_finds(store):
    probe("x", amount=1)
    probe("y", amount=2)
    found = {r.sk: r.amount for r in ProbeRecord.batch_get([(PK, "x"), (PK, "y"), (PK, "nope")])}
    assert found == {"x": 1, "y": 2}
