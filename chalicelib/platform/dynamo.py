"""Single-table base for PynamoDB records and the one transaction helper.

PynamoDB reads `Meta` when a class is defined, so the settings are read before any
record class exists (this module imports them), and `configure_table` can repoint every
record class at another table or endpoint (tests, DynamoDB Local) in one call, or
`use_memory_table` at the in-memory table (`platform/memory.py`), which judges the same
conditions: repositories, services and their `UnitOfWork`s run unchanged on either.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar, cast

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError
from pynamodb.expressions.condition import Condition
from pynamodb.expressions.update import Action
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.platform.config import get_settings
from chalicelib.platform.errors import ConflictError
from chalicelib.platform.keys import Key
from chalicelib.platform.memory import MemoryTable, Write

if TYPE_CHECKING:
    from chalicelib.platform.pagination import Page

_settings = get_settings()

TRANSACTION_ITEM_LIMIT = 100


class Gsi1(GlobalSecondaryIndex["BaseRecord"]):  # type: ignore[no-untyped-call]  # pynamodb Index.__init_subclass__ is unannotated
    """Generic sparse index: lists by a secondary access pattern (by type, by status...)."""

    class Meta:
        index_name = "gsi1"
        projection = AllProjection()

    gsi1pk = UnicodeAttribute(hash_key=True)
    gsi1sk = UnicodeAttribute(range_key=True)


_Indexed = TypeVar("_Indexed", bound="BaseRecord")


class Gsi2(GlobalSecondaryIndex[_Indexed]):  # type: ignore[no-untyped-call]  # pynamodb Index.__init_subclass__ is unannotated
    """The second sparse index, across tenants, by a due instant or date: a record class that uses it declares
    `gsi2pk`, `gsi2sk` (null when out of it) and `gsi2 = Gsi2["<Record>"]()` (charges by due date, webhook
    deliveries by their next attempt)."""

    class Meta:
        index_name = "gsi2"
        projection = AllProjection()

    gsi2pk = UnicodeAttribute(hash_key=True)
    gsi2sk = UnicodeAttribute(range_key=True)


class BaseRecord(Model):
    """Every item of the single table: pk, sk, an optional GSI1 entry and a TTL."""

    class Meta:
        table_name = _settings.table_name
        region = _settings.aws_region
        host = _settings.dynamodb_endpoint
        max_retry_attempts = 3
        connect_timeout_seconds = 2
        read_timeout_seconds = 5
        max_pool_connections = 50

    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    kind = UnicodeAttribute(null=True)
    gsi1pk = UnicodeAttribute(null=True)
    gsi1sk = UnicodeAttribute(null=True)
    expires_at = NumberAttribute(null=True)
    gsi1 = Gsi1()

    @classmethod
    def at(cls: type[R], key: Key, **attributes: Any) -> R:
        return cls(key.pk, key.sk, **attributes)

    @classmethod
    def _get_connection(cls) -> Any:
        if _memory is not None:
            return _memory
        # One table, one schema: every record class shares BaseRecord's connection (one
        # botocore client per process instead of one per class, which cold starts pay for).
        if cls is not BaseRecord:
            shared = BaseRecord._get_connection()
            _know_indexes(shared, cls)
            return shared
        return super()._get_connection()


R = TypeVar("R", bound=BaseRecord)


_KNOW_LOCK = threading.Lock()


def _know_indexes(shared: Any, cls: type[Model]) -> None:
    """The shared connection's table description is built from BaseRecord's schema (gsi1 only): a
    subclass's own indexes (ChargeRecord's gsi2) are added to it, or a query on them fails with
    "Table has no index"."""
    meta = shared.connection.get_meta_table(shared.table_name)
    done = meta.__dict__.setdefault("_classes_known", set())
    if cls in done:  # the hot path: every read and write of the class comes through here
        return
    with _KNOW_LOCK:
        if cls not in done:
            _add_indexes(meta, cls)
            done.add(cls)


def _add_indexes(meta: Any, cls: type[Model]) -> None:
    schema = cls._get_schema()
    known = {index.get("IndexName") for index in meta.data.setdefault("GlobalSecondaryIndexes", [])}
    for index in schema["global_secondary_indexes"]:
        if index["index_name"] not in known:
            meta.data["GlobalSecondaryIndexes"].append({"IndexName": index["index_name"],
                                                         "KeySchema": index["key_schema"]})
    attributes = {a["AttributeName"] for a in meta.data.setdefault("AttributeDefinitions", [])}
    meta.data["AttributeDefinitions"] += [a for a in schema["attribute_definitions"]
                                          if a["AttributeName"] not in attributes]


def _record_classes() -> Iterator[type[Model]]:
    stack: list[type[Model]] = [BaseRecord]
    while stack:
        cls = stack.pop()
        yield cls
        stack.extend(cls.__subclasses__())


BATCH_GET_LIMIT = 100  # DynamoDB's BatchGetItem


def batch_get(cls: type[R], keys: list[Key], consistent_read: bool = False) -> Iterator[R]:
    """The records that exist at these keys (duplicates read once), one BatchGetItem per 100."""
    wanted = list(dict.fromkeys((k.pk, k.sk) for k in keys))
    for start in range(0, len(wanted), BATCH_GET_LIMIT):
        yield from cls.batch_get(wanted[start:start + BATCH_GET_LIMIT], consistent_read=consistent_read)


def get_item(cls: type[R], key: Key | None, missing: Exception, consistent_read: bool = True) -> R:
    """The item at `key`, or `missing` raised: also when `key` is None (an id of the wrong shape, which
    can name nothing, so no read is spent on it)."""
    if key is None:
        raise missing
    try:
        return cls.get(key.pk, key.sk, consistent_read=consistent_read)
    except cls.DoesNotExist:
        raise missing from None


_memory: MemoryTable | None = None


def _index_keys() -> dict[str, tuple[str, str]]:
    """Every secondary index of the record classes: name -> (hash attribute, range attribute)."""
    found: dict[str, tuple[str, str]] = {}
    for cls in _record_classes():
        for name, index in getattr(cls, "_indexes", {}).items():
            hash_key = range_key = None
            for attribute in index.Meta.attributes.values():
                if attribute.is_hash_key:
                    hash_key = attribute.attr_name
                elif attribute.is_range_key:
                    range_key = attribute.attr_name
            if hash_key and range_key:
                found[name] = (hash_key, range_key)
    return found


def use_memory_table(table_name: str | None = None) -> MemoryTable:
    """Point every record class (and future ones) at a new, empty in-memory table, and return it."""
    global _memory
    _memory = MemoryTable(table_name or BaseRecord.Meta.table_name, _index_keys)
    return _memory


def configure_table(table_name: str | None = None, host: str | None = None, region: str | None = None) -> None:
    """Repoint every record class (and future ones) at a table and endpoint."""
    global _memory
    _memory = None
    if table_name is not None:
        BaseRecord.Meta.table_name = table_name
    BaseRecord.Meta.host = host
    if region is not None:
        BaseRecord.Meta.region = region
    for cls in _record_classes():
        cls._connection = None
        for index in getattr(cls, "_indexes", {}).values():
            index._connection = None
    Gsi1._connection = None  # type: ignore[attr-defined]


def connection() -> Connection:
    """The shared low-level connection (for transactions)."""
    return cast(Connection, BaseRecord._get_connection().connection)


class CancelledBy:
    """Why a transaction was cancelled: the index of each failed action and its code."""

    def __init__(self, reasons: list[Any]) -> None:
        self.failed = {i: r.code for i, r in enumerate(reasons) if r is not None and r.code != "None"}

    def action_failed(self, index: int) -> bool:
        return self.failed.get(index) == "ConditionalCheckFailed"


_WIRE_ORDER = {"check": 0, "delete": 1, "save": 2, "update": 3}


# What a failed condition means: the domain error to raise, or a callback (which may raise).
OnFail = Callable[[], None] | Exception | None


class UnitOfWork:
    """Collects the writes of one command (state items + outbox events) into one transaction.

    Each action may carry an `on_fail` (an error to raise, or a callback) that turns its failed condition into a
    domain error; the first such callback that raises wins, otherwise `default_error` is
    raised (or the original error when none is given).
    """

    def __init__(self) -> None:
        self._actions: list[tuple[str, Any, dict[str, Any], OnFail]] = []

    def __len__(self) -> int:
        return len(self._actions)

    def put(self, record: BaseRecord, condition: Condition | None = None,
            on_fail: OnFail = None) -> None:
        self._actions.append(("save", record, {"condition": condition}, on_fail))

    def update(self, record: BaseRecord, actions: list[Action], condition: Condition | None = None,
               on_fail: OnFail = None) -> None:
        self._actions.append(("update", record, {"actions": actions, "condition": condition}, on_fail))

    def delete(self, record: BaseRecord, condition: Condition | None = None,
               on_fail: OnFail = None) -> None:
        self._actions.append(("delete", record, {"condition": condition}, on_fail))

    def check(self, record_cls: type[BaseRecord], key: Key, condition: Condition,
              on_fail: OnFail = None) -> None:
        self._actions.append(("check", record_cls, {"key": key, "condition": condition}, on_fail))

    def commit(self, default_error: Callable[[], Exception] | None = None) -> None:
        if not self._actions:
            return
        if len(self._actions) > TRANSACTION_ITEM_LIMIT:
            raise ValueError(f"a transaction holds at most {TRANSACTION_ITEM_LIMIT} items")
        # The order in which the actions reach DynamoDB (PynamoDB sends checks, deletes, puts, then
        # updates): cancellation reasons come back in that order.
        wire = sorted(range(len(self._actions)), key=lambda i: _WIRE_ORDER[self._actions[i][0]])
        try:
            if _memory is not None:
                _memory.transact([self._write(self._actions[i]) for i in wire])
            else:
                with TransactWrite(connection=connection()) as tx:
                    for op, target, kwargs, _ in self._actions:
                        if op == "save":
                            tx.save(target, condition=kwargs["condition"])
                        elif op == "update":
                            tx.update(target, actions=kwargs["actions"], condition=kwargs["condition"])
                        elif op == "delete":
                            tx.delete(target, condition=kwargs["condition"])
                        else:
                            key: Key = kwargs["key"]
                            tx.condition_check(target, key.pk, key.sk, condition=kwargs["condition"])
        except TransactWriteError as exc:
            cancelled = CancelledBy(exc.cancellation_reasons)
            position = {index: n for n, index in enumerate(wire)}
            for index, (_, _, _, on_fail) in enumerate(self._actions):
                if on_fail is not None and cancelled.action_failed(position[index]):
                    if isinstance(on_fail, Exception):
                        raise on_fail from exc
                    on_fail()
            if default_error is not None:
                raise default_error() from exc
            raise

    @staticmethod
    def _write(action: tuple[str, Any, dict[str, Any], OnFail]) -> Write:
        op, target, kwargs, _ = action
        if op == "check":
            key: Key = kwargs["key"]
            return Write("check", (key.pk, key.sk), condition=kwargs["condition"])
        at = (target.pk, target.sk)
        if op == "save":
            return Write("put", at, item=target.serialize(null_check=True), condition=kwargs["condition"])
        if op == "update":
            return Write("update", at, actions=kwargs["actions"], condition=kwargs["condition"])
        return Write("delete", at, condition=kwargs["condition"])


def _position_of(record: BaseRecord, index_name: str | None) -> dict[str, str]:
    position = {"pk": record.pk, "sk": record.sk}
    if index_name == "gsi1":
        position.update(gsi1pk=record.gsi1pk or "", gsi1sk=record.gsi1sk or "")
    return position


def query_rows(record_cls: type[R], hash_key: str, range_key_condition: Condition | None, n: int,
               position: dict[str, Any] | None, *, by_gsi1: bool = False, newest_first: bool = False,
               filter_condition: Condition | None = None) -> list[tuple[R, dict[str, str]]]:
    """Up to n records of one partition (of the table or GSI1) after `position`, with their positions."""
    last_key = None
    if position:
        if not all(isinstance(v, str) for v in position.values()):
            raise ValueError("bad position")
        last_key = {k: {"S": v} for k, v in position.items()}
    source: Any = record_cls.gsi1 if by_gsi1 else record_cls
    results = source.query(hash_key, range_key_condition, filter_condition=filter_condition,
                           scan_index_forward=not newest_first, limit=n, last_evaluated_key=last_key,
                           page_size=min(max(n, 10), 100))
    return [(record, _position_of(record, "gsi1" if by_gsi1 else None)) for record in results]


T = TypeVar("T")
P = TypeVar("P")


def retry_lost_races(attempt: Callable[[], T], *, retry_on: tuple[type[Exception], ...], attempts: int,
                     what: str) -> T:
    """Run `attempt` (which reads, decides and commits a fresh UnitOfWork) until it stops losing races.

    Retries the caller's own "changed since read" errors (`retry_on`) and DynamoDB's
    `TransactionConflict`, with jittered exponential backoff; anything else goes to the caller.
    """
    for n in range(attempts):
        try:
            return attempt()
        except retry_on:
            pass
        except TransactWriteError as exc:
            reasons = getattr(exc, "cancellation_reasons", None) or []
            if not any(r is not None and r.code == "TransactionConflict" for r in reasons):
                raise
        time.sleep(random.uniform(0, min(0.2, 0.005 * 2 ** n)))
    raise ConflictError(f"The {what} is changing too fast for this request to get through; retry.")


def newest_page(record_cls: type[R], scope: str, limit: int, cursor: str | None, render: Callable[[R], P], *,
                prefix: Key, index: Key | None = None, filter_condition: Condition | None = None,
                between: tuple[str, str] | None = None) -> Page[P]:
    """A page of records, newest first: the GSI1 partition of `index` when one is given (a status,
    a type, a SKU...), else the items of `prefix`'s partition under its sort-key prefix. `between`
    narrows either to the sort keys from..to that follow the prefix (ids made between two instants)."""
    from chalicelib.platform.pagination import paginate

    def fetch(n: int, position: dict[str, Any] | None) -> list[tuple[P, dict[str, str]]]:
        if index is not None:
            on_index = record_cls.gsi1sk.between(*between) if between else None
            rows = query_rows(record_cls, index.pk, on_index, n, position, by_gsi1=True, newest_first=True,
                              filter_condition=filter_condition)
        else:
            condition = (record_cls.sk.between(prefix.sk + between[0], prefix.sk + between[1]) if between
                         else record_cls.sk.startswith(prefix.sk))
            rows = query_rows(record_cls, prefix.pk, condition, n, position,
                              newest_first=True, filter_condition=filter_condition)
        return [(render(record), pos) for record, pos in rows]

    return paginate(scope, limit, cursor, fetch)
