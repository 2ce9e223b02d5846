"""`Idempotency-Key` for every POST, with the semantics of API.md.

The first request with a key claims it (a conditional put), runs, and stores its answer.
A repeat with the same request gets that answer back with `Idempotent-Replayed: true`;
a repeat with a different request is 409 `idempotency_key_reused`; a repeat while the
first is still running is 409 `conflict`. Server errors release the key so the client
can retry. Records expire after `IDEMPOTENCY_TTL_HOURS` (48 h by default, above the
24 h promised), through DynamoDB TTL.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable

from chalice import Response
from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError

from chalicelib.platform import keys
from chalicelib.platform.config import get_settings
from chalicelib.platform.dynamo import BaseRecord
from chalicelib.platform.errors import (
    AppError,
    FieldError,
    IdempotencyInProgressError,
    IdempotencyKeyReusedError,
    InvalidRequestError,
)

LOCK_SECONDS = 60
REPLAYED_HEADER = "Idempotent-Replayed"


class IdempotencyRecord(BaseRecord):
    request_hash = UnicodeAttribute()
    state = UnicodeAttribute()  # "running" | "done"
    locked_until = NumberAttribute()
    response_status = NumberAttribute(null=True)
    response_headers = UnicodeAttribute(null=True)
    response_body = UnicodeAttribute(null=True)


def _validate(key: str) -> None:
    if not 1 <= len(key) <= 255 or not key.isprintable():
        raise InvalidRequestError("The Idempotency-Key header is invalid.",
                                  [FieldError("Idempotency-Key", "must be 1 to 255 printable characters")])


def run_idempotently(tenant_id: str | None, idempotency_key: str, request_hash: str,
                     run: Callable[[], Response], problem: Callable[[AppError], Response]) -> Response:
    _validate(idempotency_key)
    key = keys.idempotency(tenant_id, hashlib.sha256(idempotency_key.encode()).hexdigest())
    now = int(time.time())
    record = IdempotencyRecord.at(key, kind="idempotency", request_hash=request_hash, state="running",
                                  locked_until=now + LOCK_SECONDS,
                                  expires_at=now + get_settings().idempotency_ttl_hours * 3600)
    try:
        record.save(condition=IdempotencyRecord.pk.does_not_exist()
                    | ((IdempotencyRecord.state == "running") & (IdempotencyRecord.locked_until < now)
                       & (IdempotencyRecord.request_hash == request_hash)))
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return _existing(key, request_hash, problem)
    try:
        response = run()
    except BaseException:
        record.delete()
        raise
    if _retryable(response):
        record.delete()
        return response
    headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
    body = response.body if isinstance(response.body, str) else json.dumps(response.body)
    record.update(actions=[IdempotencyRecord.state.set("done"),
                           IdempotencyRecord.response_status.set(response.status_code),
                           IdempotencyRecord.response_headers.set(json.dumps(headers)),
                           IdempotencyRecord.response_body.set(body)])
    return response


def _retryable(response: Response) -> bool:
    """Answers a retry could change are not kept: server errors, rate limits, lost races."""
    if response.status_code >= 500 or response.status_code == 429:
        return True
    if response.status_code == 409 and isinstance(response.body, str):
        try:
            return bool(json.loads(response.body).get("code") == "conflict")
        except (ValueError, AttributeError):
            return False
    return False


def _existing(key: keys.Key, request_hash: str, problem: Callable[[AppError], Response]) -> Response:
    try:
        stored = IdempotencyRecord.get(key.pk, key.sk, consistent_read=True)
    except IdempotencyRecord.DoesNotExist:
        return problem(IdempotencyInProgressError("The first request with this key was just released; retry."))
    if stored.request_hash != request_hash:
        return problem(IdempotencyKeyReusedError(
            "This Idempotency-Key was already used with a different request.",
            [FieldError("Idempotency-Key", "was used with a different request")]))
    if stored.state != "done":
        return problem(IdempotencyInProgressError(
            "A request with this Idempotency-Key is still being processed; retry later.",
            headers={"Retry-After": "1"}))
    headers = json.loads(stored.response_headers or "{}")
    headers[REPLAYED_HEADER] = "true"
    return Response(body=stored.response_body or "", status_code=int(stored.response_status or 200),
                    headers=headers)
