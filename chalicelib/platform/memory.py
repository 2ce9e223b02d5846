"""The single table in memory: the same items, conditions, updates, queries and transactions as DynamoDB.

`MemoryTable` stands in for PynamoDB's `TableConnection` under every record class (see
`dynamo.use_memory_table`), so repositories and services run unchanged without DynamoDB. It does not
shortcut what DynamoDB judges: each write evaluates the very PynamoDB `Condition` the repository built
(comparisons, `attribute_(not_)exists`, `begins_with`, `contains`, `IN`, `BETWEEN`, `size`, AND/OR/NOT),
applies the very update actions (SET with `+`/`-`, `if_not_exists`, `list_append`; REMOVE; ADD; DELETE),
and a transaction checks every condition before it applies anything, refusing two actions on one item
like DynamoDB does. Failures raise the exceptions PynamoDB raises against DynamoDB (`PutError`,
`UpdateError`, `DeleteError` with `ConditionalCheckFailedException`; `TransactWriteError` with one
cancellation reason per item in wire order), so a repository's error mapping is exercised as is.

Items are kept in DynamoDB's wire format (`{"S": ...}`, `{"N": "12.5"}`), copied in and out; one lock
serialises every operation, which is what makes a transaction atomic and isolated here. Queries follow
DynamoDB: items of one partition in sort-key order (UTF-8 byte order), `Limit` counted before the filter,
`LastEvaluatedKey` from the last item read, sparse secondary indexes, no strongly consistent GSI reads.
Left out, because no repository uses them: scans, parallel scans, TTL expiry and the 1 MB page cap.
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from typing import Any

from pynamodb.exceptions import (
    CancellationReason,
    DeleteError,
    GetError,
    PutError,
    QueryError,
    TransactWriteError,
    UpdateError,
    VerboseClientError,
)
from pynamodb.expressions.condition import (
    And,
    BeginsWith,
    Between,
    Comparison,
    Condition,
    Contains,
    Exists,
    In,
    IsType,
    Not,
    NotExists,
    Or,
)
from pynamodb.expressions.operand import (
    Path,
    Value,
    _Decrement,
    _IfNotExists,
    _Increment,
    _ListAppend,
    _Operand,
    _Size,
)
from pynamodb.expressions.update import Action, AddAction, DeleteAction, RemoveAction, SetAction

Item = dict[str, dict[str, Any]]
ItemKey = tuple[str, str]

ITEM_SIZE_LIMIT = 400 * 1024
_SEGMENT = re.compile(r"^([^\[]+)((?:\[\d+\])*)$")
_CHECK_FAILED = "The conditional request failed"


class Invalid(Exception):
    """A request DynamoDB refuses as a ValidationException."""


def _client_error(code: str, message: str, operation: str, reasons: Iterable[CancellationReason | None] = ()
                  ) -> VerboseClientError:
    return VerboseClientError({"Error": {"Code": code, "Message": message}}, operation,
                              cancellation_reasons=list(reasons))


# --- values -------------------------------------------------------------------------------------------


def _number(value: Decimal) -> str:
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def _comparable(value: dict[str, Any] | None) -> tuple[str, Any] | None:
    if value is None:
        return None
    (kind, raw), = value.items()
    if kind == "N":
        return kind, Decimal(raw)
    if kind in ("SS", "BS"):
        return kind, frozenset(raw)
    if kind == "NS":
        return kind, frozenset(Decimal(v) for v in raw)
    return kind, raw


def _equal(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    return a is not None and b is not None and _comparable(a) == _comparable(b)


def _ordered(a: dict[str, Any] | None, b: dict[str, Any] | None) -> tuple[Any, Any] | None:
    """Both values as Python values that order like DynamoDB's, when they are of one scalar type."""
    ca, cb = _comparable(a), _comparable(b)
    if ca is None or cb is None or ca[0] != cb[0] or ca[0] not in ("S", "N", "B"):
        return None
    return ca[1], cb[1]


def _size(value: dict[str, Any]) -> int:
    (kind, raw), = value.items()
    if kind == "S":
        return len(raw)
    if kind == "B":
        return len(raw)
    if kind in ("SS", "NS", "BS", "L", "M"):
        return len(raw)
    raise Invalid("size() applies to strings, binaries, sets, lists and maps")


def _item_size(item: Item) -> int:
    return sum(len(name.encode()) + len(repr(value).encode()) for name, value in item.items())


# --- paths --------------------------------------------------------------------------------------------


def _steps(path: Path) -> list[str | int]:
    steps: list[str | int] = []
    for segment in path.path:
        match = _SEGMENT.match(segment)
        if match is None:
            steps.append(segment)
            continue
        steps.append(match.group(1))
        steps.extend(int(i) for i in re.findall(r"\[(\d+)\]", match.group(2)))
    return steps


def _resolve(item: Item, path: Path) -> dict[str, Any] | None:
    node: Any = {"M": item}
    for step in _steps(path):
        if isinstance(step, int):
            values = node.get("L") if isinstance(node, dict) else None
            if values is None or step >= len(values):
                return None
            node = values[step]
        else:
            members = node.get("M") if isinstance(node, dict) else None
            if members is None or step not in members:
                return None
            node = members[step]
    return node if isinstance(node, dict) else None


def _container(item: Item, steps: list[str | int]) -> Any:
    node: Any = {"M": item}
    for step in steps:
        if isinstance(step, int):
            values = node.get("L")
            if values is None or step >= len(values):
                raise Invalid("The document path provided in the update expression is invalid for update")
            node = values[step]
        else:
            members = node.get("M")
            if members is None or step not in members:
                raise Invalid("The document path provided in the update expression is invalid for update")
            node = members[step]
    return node


def _assign(item: Item, path: Path, value: dict[str, Any]) -> None:
    steps = _steps(path)
    parent = _container(item, steps[:-1])
    last = steps[-1]
    if isinstance(last, int):
        values = parent.get("L")
        if values is None:
            raise Invalid("The document path provided in the update expression is invalid for update")
        if last < len(values):
            values[last] = value
        else:
            values.append(value)
    else:
        members = parent.get("M")
        if members is None:
            raise Invalid("The document path provided in the update expression is invalid for update")
        members[last] = value


def _remove(item: Item, path: Path) -> None:
    steps = _steps(path)
    try:
        parent = _container(item, steps[:-1])
    except Invalid:
        return
    last = steps[-1]
    if isinstance(last, int):
        values = parent.get("L")
        if values is not None and last < len(values):
            del values[last]
    else:
        members = parent.get("M")
        if members is not None:
            members.pop(last, None)


# --- conditions ---------------------------------------------------------------------------------------


def _operand(item: Item, operand: Any) -> dict[str, Any] | None:
    if isinstance(operand, Value):
        return dict(operand.value)
    if isinstance(operand, Path):
        return _resolve(item, operand)
    if isinstance(operand, _Size):
        target = _resolve(item, operand.values[0])
        return None if target is None else {"N": str(_size(target))}
    raise Invalid(f"unsupported operand {operand!r}")


def holds(condition: Condition | None, item: Item | None) -> bool:
    """Whether `condition` holds for `item` (None: no item), as DynamoDB judges it."""
    if condition is None:
        return True
    item = item or {}
    if isinstance(condition, And):
        return holds(condition.values[0], item) and holds(condition.values[1], item)
    if isinstance(condition, Or):
        return holds(condition.values[0], item) or holds(condition.values[1], item)
    if isinstance(condition, Not):
        return not holds(condition.values[0], item)
    if isinstance(condition, Exists):
        return _resolve(item, condition.values[0]) is not None
    if isinstance(condition, NotExists):
        return _resolve(item, condition.values[0]) is None
    if isinstance(condition, IsType):
        target = _resolve(item, condition.values[0])
        return target is not None and next(iter(target)) == next(iter(condition.values[1].value.values()))
    if isinstance(condition, BeginsWith):
        target, prefix = _operand(item, condition.values[0]), _operand(item, condition.values[1])
        pair = _ordered(target, prefix)
        return pair is not None and isinstance(pair[0], str | bytes) and pair[0].startswith(pair[1])
    if isinstance(condition, Contains):
        return _contains(_operand(item, condition.values[0]), _operand(item, condition.values[1]))
    if isinstance(condition, In):
        target = _operand(item, condition.values[0])
        return any(_equal(target, _operand(item, v)) for v in condition.values[1:])
    if isinstance(condition, Between):
        target, low, high = (_operand(item, v) for v in condition.values)
        lower, upper = _ordered(target, low), _ordered(target, high)
        return lower is not None and upper is not None and lower[1] <= lower[0] <= upper[1]
    if isinstance(condition, Comparison):
        return _compare(condition.operator, _operand(item, condition.values[0]), _operand(item, condition.values[1]))
    raise Invalid(f"unsupported condition {condition!r}")


def _contains(target: dict[str, Any] | None, member: dict[str, Any] | None) -> bool:
    if target is None or member is None:
        return False
    (kind, raw), = target.items()
    (member_kind, member_raw), = member.items()
    if kind == "S" and member_kind == "S":
        return bool(member_raw in raw)
    if kind in ("SS", "NS", "BS") and member_kind == kind[0]:
        comparable = _comparable(target)
        element = _comparable(member)
        return comparable is not None and element is not None and element[1] in comparable[1]
    if kind == "L":
        return any(_equal(element, member) for element in raw)
    return False


_ORDERINGS: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: bool(a < b), "<=": lambda a, b: bool(a <= b),
    ">": lambda a, b: bool(a > b), ">=": lambda a, b: bool(a >= b),
}


def _compare(operator: str, left: dict[str, Any] | None, right: dict[str, Any] | None) -> bool:
    if operator == "=":
        return _equal(left, right)
    if operator == "<>":
        return not _equal(left, right)
    pair = _ordered(left, right)
    return pair is not None and _ORDERINGS[operator](*pair)


# --- updates ------------------------------------------------------------------------------------------


def _evaluate(item: Item, operand: _Operand) -> dict[str, Any]:
    if isinstance(operand, _Increment | _Decrement):
        left, right = _evaluate(item, operand.values[0]), _evaluate(item, operand.values[1])
        if next(iter(left)) != "N" or next(iter(right)) != "N":
            raise Invalid("An operand in the update expression has an incorrect data type")
        a, b = Decimal(left["N"]), Decimal(right["N"])
        return {"N": _number(a + b if isinstance(operand, _Increment) else a - b)}
    if isinstance(operand, _IfNotExists):
        current = _resolve(item, operand.values[0])
        return copy.deepcopy(current) if current is not None else _evaluate(item, operand.values[1])
    if isinstance(operand, _ListAppend):
        left, right = _evaluate(item, operand.values[0]), _evaluate(item, operand.values[1])
        if "L" not in left or "L" not in right:
            raise Invalid("An operand in the update expression has an incorrect data type")
        return {"L": copy.deepcopy(left["L"]) + copy.deepcopy(right["L"])}
    value = _operand(item, operand)
    if value is None:
        raise Invalid("The provided expression refers to an attribute that does not exist in the item")
    return copy.deepcopy(value)


def apply_actions(item: Item, actions: Sequence[Action]) -> None:
    """Apply update actions to `item` in place; every right-hand side is read from the item before the update."""
    before = copy.deepcopy(item)
    planned: list[tuple[Action, dict[str, Any] | None]] = []
    for action in actions:
        if isinstance(action, SetAction):
            planned.append((action, _evaluate(before, action.values[1])))
        else:
            planned.append((action, None))
    for action, value in planned:
        path: Path = action.values[0]  # type: ignore[assignment]  # an action's first operand is its path
        operand: Any = action.values[1] if len(action.values) > 1 else None
        if isinstance(action, SetAction) and value is not None:
            _assign(item, path, value)
        elif isinstance(action, RemoveAction):
            _remove(item, path)
        elif isinstance(action, AddAction):
            _add(item, path, dict(operand.value))
        elif isinstance(action, DeleteAction):
            _delete_from_set(item, path, dict(operand.value))
        else:
            raise Invalid(f"unsupported update action {action!r}")


def _add(item: Item, path: Path, value: dict[str, Any]) -> None:
    current = _resolve(item, path)
    (kind, raw), = value.items()
    if current is None:
        _assign(item, path, copy.deepcopy(value))
    elif kind == "N" and "N" in current:
        _assign(item, path, {"N": _number(Decimal(current["N"]) + Decimal(raw))})
    elif kind in ("SS", "NS", "BS") and kind in current:
        _assign(item, path, {kind: sorted(set(current[kind]) | set(raw))})
    else:
        raise Invalid("An operand in the update expression has an incorrect data type")


def _delete_from_set(item: Item, path: Path, value: dict[str, Any]) -> None:
    current = _resolve(item, path)
    (kind, raw), = value.items()
    if current is None:
        return
    if kind not in current:
        raise Invalid("An operand in the update expression has an incorrect data type")
    remaining = sorted(set(current[kind]) - set(raw))
    if remaining:
        _assign(item, path, {kind: remaining})
    else:
        _remove(item, path)


# --- the table ----------------------------------------------------------------------------------------


class Write:
    """One action of a transaction: put, update, delete or check of the item at `key`."""

    def __init__(self, op: str, key: ItemKey, *, item: Item | None = None, actions: Sequence[Action] = (),
                 condition: Condition | None = None) -> None:
        self.op, self.key, self.item, self.actions, self.condition = op, key, item, actions, condition


class MemoryTable:
    """A DynamoDB table in memory, keyed by (pk, sk), that answers PynamoDB's `TableConnection` calls."""

    def __init__(self, table_name: str, indexes: Callable[[], dict[str, tuple[str, str]]]) -> None:
        self.table_name = table_name
        self._items: dict[ItemKey, Item] = {}
        self._lock = threading.RLock()
        self._indexes = indexes  # index name -> (hash attribute, range attribute), read when queried

    # PynamoDB's TableConnection surface -------------------------------------------------------------

    def get_item(self, hash_key: str, range_key: str | None = None, consistent_read: bool = False,
                 attributes_to_get: Any = None) -> dict[str, Any]:
        with self._lock:
            item = self._items.get((hash_key, range_key or ""))
            return {} if item is None else {"Item": _project(item, attributes_to_get)}

    def batch_get_item(self, keys: Sequence[dict[str, str]], consistent_read: bool | None = None,
                       return_consumed_capacity: str | None = None, attributes_to_get: Any = None) -> dict[str, Any]:
        if len(keys) > 100:
            raise GetError("Failed to batch get items",
                           _client_error("ValidationException", "Too many items requested for the BatchGetItem call",
                                         "BatchGetItem"))
        with self._lock:
            found = [self._items.get((k["pk"], k.get("sk", ""))) for k in keys]
            return {"Responses": {self.table_name: [_project(i, attributes_to_get) for i in found if i is not None]},
                    "UnprocessedKeys": {}}

    def put_item(self, hash_key: str, range_key: str | None = None, attributes: Item | None = None,
                 condition: Condition | None = None, **_: Any) -> dict[str, Any]:
        item = _with_keys(attributes or {}, hash_key, range_key)
        self._write_one(Write("put", (hash_key, range_key or ""), item=item, condition=condition), PutError, "PutItem")
        return {}

    def update_item(self, hash_key: str, range_key: str | None = None, actions: Sequence[Action] | None = None,
                    condition: Condition | None = None, return_values: str | None = None, **_: Any) -> dict[str, Any]:
        key = (hash_key, range_key or "")
        self._write_one(Write("update", key, actions=actions or (), condition=condition), UpdateError, "UpdateItem")
        with self._lock:
            return {"Attributes": copy.deepcopy(self._items[key])}

    def delete_item(self, hash_key: str, range_key: str | None = None, condition: Condition | None = None,
                    **_: Any) -> dict[str, Any]:
        self._write_one(Write("delete", (hash_key, range_key or ""), condition=condition), DeleteError, "DeleteItem")
        return {}

    def query(self, hash_key: str, range_key_condition: Condition | None = None, filter_condition: Condition | None = None,
              attributes_to_get: Any = None, consistent_read: bool = False, exclusive_start_key: Any = None,
              index_name: str | None = None, limit: int | None = None, scan_index_forward: bool | None = None,
              select: str | None = None, **_: Any) -> dict[str, Any]:
        try:
            hash_name, range_name = self._key_names(index_name, consistent_read)
        except Invalid as exc:
            raise QueryError("Failed to query items", _client_error("ValidationException", str(exc), "Query")) from None
        with self._lock:
            rows = sorted((item for item in self._items.values()
                           if item.get(hash_name) == {"S": hash_key} and range_name in item),
                          key=lambda i: (i[range_name]["S"], i["pk"]["S"], i["sk"]["S"]),
                          reverse=scan_index_forward is False)
            if range_key_condition is not None:
                rows = [i for i in rows if holds(range_key_condition, i)]
            if exclusive_start_key:
                rows = _after(rows, exclusive_start_key, range_name, scan_index_forward is False)
            read = rows if limit is None else rows[:limit]
            more = limit is not None and len(rows) > limit
            matching = [copy.deepcopy(i) for i in read if holds(filter_condition, i)]
        page: dict[str, Any] = {"Count": len(matching), "ScannedCount": len(read)}
        if select != "COUNT":
            page["Items"] = [_project(i, attributes_to_get) for i in matching]
        if more and read:
            last = read[-1]
            page["LastEvaluatedKey"] = {name: dict(last[name]) for name in {"pk", "sk", hash_name, range_name}}
        return page

    # transactions ------------------------------------------------------------------------------------

    def transact(self, writes: Sequence[Write]) -> None:
        """All of `writes` or none: every condition is judged against the items as they are before any write.
        `writes` come in wire order; a failed condition cancels the transaction with one reason per write."""
        keys = [w.key for w in writes]
        if len(set(keys)) != len(keys):
            raise TransactWriteError("Failed to write transaction items", _client_error(
                "ValidationException", "Transaction request cannot include multiple operations on one item",
                "TransactWriteItems"))
        with self._lock:
            reasons: list[CancellationReason | None] = [
                None if holds(w.condition, self._items.get(w.key))
                else CancellationReason(code="ConditionalCheckFailed", message=_CHECK_FAILED) for w in writes]
            if any(reasons):
                raise TransactWriteError("Failed to write transaction items", _client_error(
                    "TransactionCanceledException", "Transaction cancelled, please refer cancellation reasons",
                    "TransactWriteItems", reasons))
            staged = {}
            try:
                for w in writes:
                    staged[w.key] = self._written(w)
            except Invalid as exc:
                raise TransactWriteError("Failed to write transaction items", _client_error(
                    "ValidationException", str(exc), "TransactWriteItems")) from None
            for key, item in staged.items():
                if item is None:
                    self._items.pop(key, None)
                else:
                    self._items[key] = item

    def _write_one(self, write: Write, error: type[Exception], operation: str) -> None:
        with self._lock:
            try:
                if not holds(write.condition, self._items.get(write.key)):
                    raise error(f"Failed to {write.op} item", _client_error(
                        "ConditionalCheckFailedException", _CHECK_FAILED, operation))
                item = self._written(write)
            except Invalid as exc:
                raise error(f"Failed to {write.op} item", _client_error("ValidationException", str(exc),
                                                                        operation)) from None
            if item is None:
                self._items.pop(write.key, None)
            else:
                self._items[write.key] = item

    def _written(self, write: Write) -> Item | None:
        """The item at `write.key` once `write` is applied (None: deleted or untouched by a check)."""
        current = self._items.get(write.key)
        if write.op == "check":
            return copy.deepcopy(current) if current is not None else None
        if write.op == "delete":
            return None
        if write.op == "put":
            item = copy.deepcopy(write.item or {})
        else:
            item = copy.deepcopy(current) if current is not None else _with_keys({}, *write.key)
            apply_actions(item, write.actions)
            if item.get("pk") != {"S": write.key[0]} or item.get("sk") != {"S": write.key[1]}:
                raise Invalid("Cannot update attribute pk or sk: this attribute is part of the key")
        if _item_size(item) > ITEM_SIZE_LIMIT:
            raise Invalid("Item size has exceeded the maximum allowed size")
        return item

    def _key_names(self, index_name: str | None, consistent_read: bool) -> tuple[str, str]:
        if index_name is None:
            return "pk", "sk"
        if consistent_read:
            raise Invalid("Consistent reads are not supported on global secondary indexes")
        indexes = self._indexes()
        if index_name not in indexes:
            raise Invalid(f"The table does not have the specified index: {index_name}")
        return indexes[index_name]

    # for tests and local tools -----------------------------------------------------------------------

    def items(self) -> list[Item]:
        with self._lock:
            return [copy.deepcopy(i) for i in self._items.values()]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def _with_keys(attributes: Item, hash_key: str, range_key: str | None) -> Item:
    item = copy.deepcopy(attributes)
    item["pk"] = {"S": hash_key}
    item["sk"] = {"S": range_key or ""}
    return item


def _project(item: Item, attributes_to_get: Any) -> Item:
    if not attributes_to_get:
        return copy.deepcopy(item)
    return {name: copy.deepcopy(value) for name, value in item.items() if name in set(attributes_to_get)}


def _after(rows: list[Item], start: dict[str, dict[str, Any]], range_name: str, descending: bool) -> list[Item]:
    """The rows after the exclusive start key, in query order."""
    def position(item: Item) -> tuple[str, str, str]:
        return item[range_name]["S"], item["pk"]["S"], item["sk"]["S"]

    try:
        mark = (start[range_name]["S"], start["pk"]["S"], start["sk"]["S"])
    except (KeyError, TypeError):
        raise QueryError("Failed to query items", _client_error(
            "ValidationException", "The provided starting key is invalid", "Query")) from None
    return [i for i in rows if (position(i) < mark if descending else position(i) > mark)]
