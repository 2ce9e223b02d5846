"""One error hierarchy with stable codes; translated to problem+json in `http.py` only."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError


@dataclass(frozen=True)
class FieldError:
    """One bad field: a dotted path and what is wrong with it (plus structured extras)."""

    field: str
    message: str
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "message": self.message, **self.extra}


class AppError(Exception):
    """Base of every error the API reports on purpose."""

    status = 400
    code = "invalid_request"
    title = "Invalid request"

    def __init__(self, detail: str | None = None, errors: list[FieldError] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors or []
        self.headers = headers or {}


class InvalidRequestError(AppError):
    """The request is malformed or a field is invalid."""


class UnauthenticatedError(AppError):
    """No valid API key was presented."""

    status, code, title = 401, "unauthenticated", "Unauthenticated"


class ForbiddenError(AppError):
    """The key is valid but lacks the scope this call needs."""

    status, code, title = 403, "forbidden", "Forbidden"


class NotFoundError(AppError):
    """The resource does not exist for this tenant."""

    status, code, title = 404, "not_found", "Not found"


@contextmanager
def naming(field: str) -> Iterator[None]:
    """A NotFoundError raised inside names `field`: the client's field that pointed at nothing."""
    try:
        yield
    except NotFoundError as exc:
        if not exc.errors:
            exc.errors = [FieldError(field, "does not exist")]
        raise


class MethodNotAllowedError(AppError):
    """The path exists but not with this method."""

    status, code, title = 405, "method_not_allowed", "Method not allowed"


class ConflictError(AppError):
    """A concurrent or duplicate write lost."""

    status, code, title = 409, "conflict", "Conflict"


class InvalidStateError(AppError):
    """The transition is not allowed from the current status."""

    status, code, title = 409, "invalid_state", "Invalid state"


class IdempotencyKeyReusedError(AppError):
    """The Idempotency-Key was used before with a different request."""

    status, code, title = 409, "idempotency_key_reused", "Idempotency key reused"


class IdempotencyInProgressError(AppError):
    """A request with this Idempotency-Key is still being processed."""

    status, code, title = 409, "conflict", "Request in progress"


class PayloadTooLargeError(AppError):
    """The body is larger than the API accepts."""

    status, code, title = 413, "payload_too_large", "Payload too large"


class UnsupportedMediaTypeError(AppError):
    """The body is not in a media type the route accepts."""

    status, code, title = 415, "unsupported_media_type", "Unsupported media type"


class RateLimitedError(AppError):
    """Too many requests."""

    status, code, title = 429, "rate_limited", "Too many requests"


class ServiceUnavailableError(AppError):
    """A dependency is down; the request can be retried."""

    status, code, title = 503, "service_unavailable", "Service unavailable"


def validation_errors(exc: ValidationError, prefix: str = "") -> list[FieldError]:
    """Every bad field of a pydantic error, as dotted paths with readable messages."""
    errors = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(part) for part in err["loc"] if part != "__root__")
        path = ".".join(p for p in (prefix, loc) if p) or (prefix or "body")
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "is not a known field"
        elif err["type"] == "missing":
            message = "is required"
        elif message.startswith("Value error, "):
            message = message[len("Value error, "):]
        errors.append(FieldError(path, message))
    return errors
