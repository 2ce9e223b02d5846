"""State machines are data (a table of allowed transitions); this is the one function that checks them."""

from __future__ import annotations

from collections.abc import Mapping

from chalicelib.platform.errors import FieldError, InvalidStateError


def transition(table: Mapping[tuple[str, str], str], status: str, action: str, subject: str, *,
               refused_because: str = "") -> str:
    """The status `action` leads to from `status`, or 409 `invalid_state` naming the current one.

    `subject` reads in the message ("Cannot ship an order that is delivered."); `refused_because`
    refuses a move the table allows, for a rule outside the table, and says why.
    """
    target = table.get((status, action))
    if target is None or refused_because:
        reason = f" ({refused_because})" if refused_because else ""
        raise InvalidStateError(f"Cannot {action} {subject} that is {status}{reason}.",
                                [FieldError("status", f"is {status}")])
    return target
