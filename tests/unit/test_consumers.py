"""One declaration per consumer and schedule (platform/resources.py): what app.py, the local runner and
infra/ are made from has to match the code it names."""

from __future__ import annotations

import importlib

import pytest

from chalicelib.bootstrap import Container
from chalicelib.platform.resources import DEFINITIONS


@pytest.mark.parametrize("consumer", DEFINITIONS.consumers, ids=lambda c: c.name)
def test_a_consumers_handlers_are_exactly_its_declared_events(consumer) -> None:
    module = importlib.import_module(consumer.module)
    assert set(module.HANDLERS) == set(consumer.event_types)
    assert callable(module.handle)
    assert consumer.deps is None or hasattr(Container, consumer.deps)


@pytest.mark.parametrize("schedule", DEFINITIONS.schedules, ids=lambda s: s.name)
def test_a_schedules_function_exists_and_gets_declared_deps(schedule) -> None:
    assert callable(getattr(importlib.import_module(schedule.module), schedule.function))
    assert schedule.deps is None or hasattr(Container, schedule.deps)


def test_app_has_one_lambda_function_per_declaration_under_its_name() -> None:
    import app

    declared = {c.handler for c in DEFINITIONS.consumers} | {s.handler for s in DEFINITIONS.schedules} | \
        {DEFINITIONS.publisher_handler}
    registered = {f.name: f.handler_string for f in app.app.pure_lambda_functions}
    assert registered == {name: f"app.{name}" for name in declared}  # what Lambda imports and calls
    assert all(callable(getattr(app, name)) for name in declared)
