"""`Idempotency-Key` for every POST, with the semantics of API.md.

The first request with a key claims it (a conditional put), runs, and stores its answer.
A repeat with the same request gets that answer back with `Idempotent-Replayed: true`;
a repeat with a different request is 409 `idempotency_key_reused`; a repeat while the
first is still running is 409 `conflict`. Server errors release the key so the client
can retry. Records expire after `IDEMPOTENCY_TTL_HOURS` (48 h by default, above the
24 h promised), through DynamoDB TTL.

A stored answer can hold a secret shown once (the `key` of `POST /v1/api-keys`, the `api_key`
of `POST /v1/tenants`), so nothing in the record is readable without the client's raw key:
the record is addressed by an HMAC-SHA256 of the Idempotency-Key under a server secret, and the
answer (status, headers, body) is sealed with AES-256-GCM under a key derived with HKDF-SHA256
from the raw Idempotency-Key and the caller's partition (tenant), salted with that secret. The record's key and request hash are
the AEAD's associated data, so a sealed answer cannot be moved to another record. Only a
client that sends the same raw key again can have it opened.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from collections.abc import Callable
from typing import Any

from chalice.app import Response
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
# HKDF salt: keeps this derivation apart from any other use of the same key material.
SEAL_SALT = b"retaguarda/idempotency/v2"
NONCE_BYTES = 12


class IdempotencyRecord(BaseRecord):
    request_hash = UnicodeAttribute()
    state = UnicodeAttribute()  # "running" | "done"
    locked_until = NumberAttribute()
    # base64(nonce || AES-GCM(status, headers, body)); set with state "done".
    sealed_response = UnicodeAttribute(null=True)


def _aead(idempotency_key: str, partition: str) -> Any:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    # Salted with the server's secret: a copy of the table alone cannot open an answer by guessing keys.
    salt = hmac.new(_pepper(), SEAL_SALT, hashlib.sha256).digest()
    secret = HKDF(algorithm=hashes.SHA256(), length=32, salt=salt,
                  info=partition.encode()).derive(idempotency_key.encode())
    return AESGCM(secret)


def _pepper() -> bytes:
    """A server-side secret (the cursor-signing one, a generated secret in AWS), never in the table."""
    from chalicelib.platform.config import get_settings

    return get_settings().cursor_secret.encode()


def record_address(idempotency_key: str) -> str:
    """Where a key's record lives: an HMAC of the key under the server's secret, not a bare hash, so a
    guessable key (`order-123`) cannot be confirmed from a copy of the table."""
    return hmac.new(_pepper(), idempotency_key.encode(), hashlib.sha256).hexdigest()


def _associated_data(key: keys.Key, request_hash: str) -> bytes:
    return f"{key.pk}\n{key.sk}\n{request_hash}".encode()


def seal(idempotency_key: str, key: keys.Key, request_hash: str, answer: dict[str, Any]) -> str:
    """The answer, encrypted for whoever holds the raw Idempotency-Key."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = _aead(idempotency_key, key.pk).encrypt(nonce, json.dumps(answer).encode(),
                                                    _associated_data(key, request_hash))
    return base64.b64encode(nonce + sealed).decode()


def unseal(idempotency_key: str, key: keys.Key, request_hash: str, sealed: str) -> dict[str, Any]:
    """The answer `seal` stored; raises `cryptography.exceptions.InvalidTag` if it was not sealed for this."""
    raw = base64.b64decode(sealed)
    plain = _aead(idempotency_key, key.pk).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:],
                                                   _associated_data(key, request_hash))
    answer: dict[str, Any] = json.loads(plain)
    return answer


def _validate(key: str) -> None:
    if not 1 <= len(key) <= 255 or not key.isprintable():
        raise InvalidRequestError("The Idempotency-Key header is invalid.",
                                  [FieldError("Idempotency-Key", "must be 1 to 255 printable characters")])


def run_idempotently(tenant_id: str | None, idempotency_key: str, request_hash: str,
                     run: Callable[[], Response], problem: Callable[[AppError], Response]) -> Response:
    _validate(idempotency_key)
    key = keys.idempotency(tenant_id, record_address(idempotency_key))
    now = int(time.time())
    record = IdempotencyRecord.at(key, kind="idempotency", request_hash=request_hash, state="running",
                                  locked_until=now + LOCK_SECONDS,
                                  expires_at=now + get_settings().idempotency_ttl_hours * 3600)
    try:
        record.save(condition=IdempotencyRecord.pk.does_not_exist()
                    | ((IdempotencyRecord.state == "running") & (IdempotencyRecord.locked_until < now)
                       & (IdempotencyRecord.request_hash == request_hash))
                    # A finished record from before answers were sealed: treated as absent.
                    | ((IdempotencyRecord.state == "done") & IdempotencyRecord.sealed_response.does_not_exist()))
    except PutError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return _existing(idempotency_key, key, request_hash, problem)
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
    sealed = seal(idempotency_key, key, request_hash, {"status": response.status_code, "headers": headers, "body": body})
    record.update(actions=[IdempotencyRecord.state.set("done"), IdempotencyRecord.sealed_response.set(sealed)])
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


def _existing(idempotency_key: str, key: keys.Key, request_hash: str,
              problem: Callable[[AppError], Response]) -> Response:
    try:
        stored = IdempotencyRecord.get(key.pk, key.sk, consistent_read=True)
    except IdempotencyRecord.DoesNotExist:
        return problem(IdempotencyInProgressError("The first request with this key was just released; retry."))
    if stored.request_hash != request_hash:
        return problem(IdempotencyKeyReusedError(
            "This Idempotency-Key was already used with a different request.",
            [FieldError("Idempotency-Key", "was used with a different request")]))
    if stored.state != "done" or stored.sealed_response is None:
        # Still running (or an unsealed record the claim replaces on the next try).
        return problem(IdempotencyInProgressError(
            "A request with this Idempotency-Key is still being processed; retry later.",
            headers={"Retry-After": "1"}))
    answer = unseal(idempotency_key, key, request_hash, stored.sealed_response)
    headers = dict(answer["headers"])
    headers[REPLAYED_HEADER] = "true"
    return Response(body=answer["body"], status_code=int(answer["status"]), headers=headers)
