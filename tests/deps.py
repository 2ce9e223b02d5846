"""The tests' side of the composition root: the app's container, as the API and the consumers see it.

The `aws` and `ddb_local` fixtures start each test on a fresh container (`fresh()`); a test swaps a
component with `use(field=value)` (a FixedClock, a fake SEFAZ transport), which rebuilds what
depends on it."""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from chalicelib.bootstrap import Container


def root() -> Container:
    import app

    return app.root()


def fresh() -> None:
    import app

    app.install(None)


def use(**fields: Any) -> Container:
    """The app's container with these fields replaced (an unknown name is a TypeError)."""
    import app

    container = dataclasses.replace(app.root(), **fields)
    app.install(container)
    return container
