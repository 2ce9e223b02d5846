"""API Gateway's own answers (before any Lambda runs), rendered as problem+json.

In AWS these are GatewayResponses declared by infra/ from this table; locally,
`local/gateway.py` applies the same table to chalice local's gateway errors.
"""

from __future__ import annotations

import json
from typing import Any

# gateway response type -> (status, code, title, detail)
GATEWAY_RESPONSES: dict[str, tuple[int, str, str, str]] = {
    "UNAUTHORIZED": (401, "unauthenticated", "Unauthenticated",
                     "Send a valid API key as 'Authorization: Bearer <key>'."),
    "ACCESS_DENIED": (401, "unauthenticated", "Unauthenticated",
                      "The API key is missing, unknown or revoked."),
    "MISSING_AUTHENTICATION_TOKEN": (404, "not_found", "Not found", "No such route."),
    "REQUEST_TOO_LARGE": (413, "payload_too_large", "Payload too large", "The body is too large."),
    "THROTTLED": (429, "rate_limited", "Too many requests", "Slow down and retry after a moment."),
    "QUOTA_EXCEEDED": (429, "rate_limited", "Too many requests", "The plan's quota is used up."),
    "DEFAULT_5XX": (502, "bad_gateway", "Bad gateway", "The service failed to answer; retry."),
}


# Headers the gateway adds to some of its answers: how long a throttled client should wait.
GATEWAY_HEADERS: dict[str, dict[str, str]] = {
    "THROTTLED": {"Retry-After": "1"},
    "QUOTA_EXCEEDED": {"Retry-After": "3600"},
}


def problem_body(response_type: str) -> dict[str, Any]:
    status, code, title, detail = GATEWAY_RESPONSES[response_type]
    return {"type": f"https://docs.retaguarda.dev/errors/{code}", "title": title, "status": status,
            "detail": detail, "code": code, "errors": []}


def problem_bytes(response_type: str) -> bytes:
    return json.dumps(problem_body(response_type)).encode()
