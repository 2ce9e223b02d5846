"""The idempotency records' behaviour over the in-memory table, moto and DynamoDB Local: the first
answer is kept and replayed, a key reused with another request is refused, answers a retry could
change are not kept, a command that raises leaves no claim, and keys are per tenant."""

from __future__ import annotations

import json

import pytest
from chalice import Response

from chalicelib.platform.http import problem
from chalicelib.platform.idempotency import REPLAYED_HEADER, run_idempotently


class Command:
    def __init__(self, status: int = 201, body: dict | None = None) -> None:
        self.runs, self.status, self.body = 0, status, body or {"id": "key_1"}

    def __call__(self) -> Response:
        self.runs += 1
        return Response(body=json.dumps({**self.body, "run": self.runs}), status_code=self.status,
                        headers={"Content-Type": "application/json"})


def test_the_first_answer_is_replayed_without_running_again(store):
    command = Command()
    first = run_idempotently("ten_1", "k-1", "hash-1", command, problem)
    again = run_idempotently("ten_1", "k-1", "hash-1", command, problem)
    assert command.runs == 1 and again.status_code == first.status_code == 201
    assert json.loads(again.body) == json.loads(first.body) and again.headers[REPLAYED_HEADER] == "true"


def test_a_key_reused_with_another_request_is_refused(store):
    run_idempotently("ten_1", "k-1", "hash-1", Command(), problem)
    command = Command()
    refused = run_idempotently("ten_1", "k-1", "hash-2", command, problem)
    assert command.runs == 0 and refused.status_code == 409
    assert json.loads(refused.body)["code"] == "idempotency_key_reused"


def test_keys_are_per_tenant(store):
    command = Command()
    run_idempotently("ten_1", "k-1", "hash-1", command, problem)
    run_idempotently("ten_2", "k-1", "hash-1", command, problem)
    run_idempotently(None, "k-1", "hash-1", command, problem)  # the admin's own space
    assert command.runs == 3


@pytest.mark.parametrize("status", [500, 503, 429])
def test_an_answer_a_retry_could_change_is_not_kept(store, status):
    failing = Command(status=status)
    run_idempotently("ten_1", "k-1", "hash-1", failing, problem)
    command = Command()
    assert run_idempotently("ten_1", "k-1", "hash-1", command, problem).status_code == 201 and command.runs == 1


def test_a_client_error_is_kept_like_a_success(store):
    command = Command(status=400, body={"code": "invalid_request"})
    run_idempotently("ten_1", "k-1", "hash-1", command, problem)
    assert run_idempotently("ten_1", "k-1", "hash-1", command, problem).status_code == 400 and command.runs == 1


def test_a_command_that_raises_leaves_no_claim(store):
    def boom() -> Response:
        raise RuntimeError("crash inside the command")

    with pytest.raises(RuntimeError):
        run_idempotently("ten_1", "k-1", "hash-1", boom, problem)
    command = Command()
    assert run_idempotently("ten_1", "k-1", "hash-1", command, problem).status_code == 201 and command.runs == 1
