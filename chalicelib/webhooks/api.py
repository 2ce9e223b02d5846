"""HTTP routes of outbound webhooks: endpoints, their secrets, their deliveries, retries and replays."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from chalicelib.platform.errors import NotFoundError
from chalicelib.platform.http import Api, Call, Result
from chalicelib.platform.ids import is_id
from chalicelib.platform.pagination import ListQuery, page_body
from chalicelib.platform.text import PRINTABLE
from chalicelib.webhooks import service
from chalicelib.webhooks.service import WebhookDeps

api: Api[WebhookDeps] = Api(__name__, tag="Webhooks")

_EVENTS = Field(min_length=1, max_length=60, description=(
    "Event types (`order.confirmed`), a resource's every event (`order.*`) or every event (`*`)."))
_PATTERN = r"^(\*|[a-z_]+\.(\*|[a-z_]+))$"
_URL_DOC = ("Where deliveries are POSTed: a public `https://` URL (in `make run`, also `http://localhost…` or "
            "`http://127.0.0.1…`). Private, loopback, link-local and metadata addresses are refused, here and "
            "again at each delivery after DNS resolution; redirects are not followed.")


class EndpointRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(min_length=8, max_length=2048, description=_URL_DOC)
    events: list[str] = _EVENTS
    description: str | None = Field(default=None, max_length=200, pattern=PRINTABLE)

    @field_validator("events")
    @classmethod
    def _patterns(cls, events: list[str]) -> list[str]:
        return _check_patterns(events)


class EndpointPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, min_length=8, max_length=2048, description=_URL_DOC)
    events: list[str] | None = Field(default=None, min_length=1, max_length=60)
    description: str | None = Field(default=None, max_length=200, pattern=PRINTABLE)
    disabled: bool | None = Field(default=None, description="true pauses deliveries; false resumes them.")

    @field_validator("url", "events", "disabled", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        if value is None:
            raise ValueError("cannot be null")
        return value

    @field_validator("events")
    @classmethod
    def _patterns(cls, events: list[str] | None) -> list[str] | None:
        return _check_patterns(events) if events is not None else None


def _check_patterns(events: list[str]) -> list[str]:
    bad = [e for e in events if not re.match(_PATTERN, e)]
    if bad:
        raise ValueError(f"not an event type or pattern: {bad[0][:60]!r}")
    return events


class EndpointResponse(BaseModel):
    id: str
    url: str
    events: list[str]
    description: str | None
    disabled: bool
    disabled_reason: Literal["by_request", "gone", "failing_for_5_days"] | None = Field(description=(
        "`gone`: the endpoint answered 410; `failing_for_5_days`: every attempt failed for 5 days."))
    disabled_at: str | None
    failing_since: str | None = Field(description="The first failed attempt since the last success, if any.")
    secret_rotated_at: str | None
    created_at: str
    updated_at: str


class EndpointWithSecret(EndpointResponse):
    secret: str = Field(description="`whsec_…`: shown only in this answer; verify deliveries with it.")


class EndpointListResponse(BaseModel):
    data: list[EndpointResponse]
    next_cursor: str | None


class AttemptResponse(BaseModel):
    at: str
    status_code: int | None
    duration_ms: int
    error: str | None


class DeliveryResponse(BaseModel):
    id: str
    endpoint_id: str
    event_id: str
    event_type: str
    status: Literal["pending", "delivered", "failed"]
    attempt: int = Field(description="Attempts made so far.")
    status_code: int | None = Field(description="The last attempt's HTTP status (null: no answer).")
    duration_ms: int | None
    error: str | None = Field(description="Why the last attempt got no answer (timeout, refused, unsafe address).")
    next_attempt_at: str | None
    delivered_at: str | None
    attempts: list[AttemptResponse] = Field(description="The last 10 attempts.")
    created_at: str
    updated_at: str


class DeliveryListResponse(BaseModel):
    data: list[DeliveryResponse]
    next_cursor: str | None


class DeliveriesQuery(ListQuery):
    model_config = ConfigDict(extra="forbid")

    status: Literal["pending", "delivered", "failed"] | None = None


class ReplayRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: AwareDatetime = Field(alias="from", description="RFC 3339; the event log keeps 30 days.")
    to: AwareDatetime | None = Field(default=None, description="Default: now.")


class ReplayResponse(BaseModel):
    endpoint_id: str
    from_: str = Field(alias="from")
    to: str
    status: Literal["queued"]


class Empty(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _endpoint_id(endpoint_id: str) -> str:
    if not is_id(endpoint_id, "whe"):
        raise NotFoundError(f"No webhook endpoint {endpoint_id}.")
    return endpoint_id


@api.route_spec("/v1/webhook-endpoints", "POST", scope="webhooks:write", request=EndpointRequest,
                response=EndpointWithSecret, status=201, extra_statuses=(409,))
def create_endpoint(call: Call[WebhookDeps]) -> Result:
    """Register a webhook endpoint
    Events the endpoint takes are POSTed to it as Standard Webhooks deliveries (standardwebhooks.com):
    headers `webhook-id` (the event id, the same on every retry), `webhook-timestamp` and `webhook-signature`
    (`v1,<base64 HMAC-SHA256>` keyed by the secret). The `secret` is in this answer only. At most 20 endpoints
    per tenant (409)."""
    body: EndpointRequest = call.body
    endpoint, secret = service.create_endpoint(call.tenant_id, body.url, body.events, body.description, call.deps)
    return Result(service.public_endpoint((endpoint, None), secret), status=201)


@api.route_spec("/v1/webhook-endpoints", scope="webhooks:read", query=ListQuery, response=EndpointListResponse)
def list_endpoints(call: Call[WebhookDeps]) -> Result:
    """List webhook endpoints, newest first"""
    return Result(page_body(call.deps.repo.list_endpoints(call.tenant_id, call.query.limit, call.query.cursor),
                            service.public_endpoint))


@api.route_spec("/v1/webhook-endpoints/{endpoint_id}", scope="webhooks:read", response=EndpointResponse,
                extra_statuses=(404,))
def get_endpoint(call: Call[WebhookDeps], endpoint_id: str) -> Result:
    """Get a webhook endpoint
    Its secret is never shown again (rotate it for a new one)."""
    return Result(service.public_endpoint(call.deps.repo.get_endpoint(call.tenant_id, _endpoint_id(endpoint_id))))


@api.route_spec("/v1/webhook-endpoints/{endpoint_id}", "PATCH", scope="webhooks:write", request=EndpointPatch,
                response=EndpointResponse, extra_statuses=(404,))
def update_endpoint(call: Call[WebhookDeps], endpoint_id: str) -> Result:
    """Update a webhook endpoint
    `url`, `events`, `description`; `disabled: true` pauses it, `false` resumes it (also after it was
    disabled for a 410 or 5 days of failures; replay the period it missed)."""
    body: EndpointPatch = call.body
    changes: dict[str, Any] = {name: getattr(body, name) for name in body.model_fields_set}
    return Result(service.public_endpoint(service.update_endpoint(call.tenant_id, _endpoint_id(endpoint_id), changes,
                                                                  call.deps)))


@api.route_spec("/v1/webhook-endpoints/{endpoint_id}", "DELETE", scope="webhooks:write", response=EndpointResponse,
                extra_statuses=(404,))
def delete_endpoint(call: Call[WebhookDeps], endpoint_id: str) -> Result:
    """Delete a webhook endpoint
    Answers it as it was; its pending deliveries stop. Its delivery records expire with the event log."""
    row = call.deps.repo.get_endpoint(call.tenant_id, _endpoint_id(endpoint_id))
    call.deps.repo.delete_endpoint(call.tenant_id, endpoint_id)
    return Result(service.public_endpoint(row))


@api.route_spec("/v1/webhook-endpoints/{endpoint_id}/rotate-secret", "POST", scope="webhooks:write", request=Empty,
                response=EndpointWithSecret, extra_statuses=(404,))
def rotate_secret(call: Call[WebhookDeps], endpoint_id: str) -> Result:
    """Rotate an endpoint's secret
    The new secret (in this answer only) signs every delivery from now on; the previous one keeps signing
    beside it for 24 h (`webhook-signature` carries both, space-separated), so receivers switch without
    losing a delivery."""
    row, secret = service.rotate_secret(call.tenant_id, _endpoint_id(endpoint_id), call.deps)
    return Result(service.public_endpoint(row, secret))


@api.route_spec("/v1/webhook-endpoints/{endpoint_id}/deliveries", scope="webhooks:read", query=DeliveriesQuery,
                response=DeliveryListResponse, extra_statuses=(404,))
def list_deliveries(call: Call[WebhookDeps], endpoint_id: str) -> Result:
    """List an endpoint's deliveries, newest event first
    One per event the endpoint took: status, attempts, the last status code and timing, the next attempt.
    Retries follow 5 s, 5 min, 30 min, 2 h, 5 h, then 10 h six times (about 3 days), with jitter."""
    q: DeliveriesQuery = call.query
    call.deps.repo.get_endpoint(call.tenant_id, _endpoint_id(endpoint_id))
    page = call.deps.repo.list_deliveries(call.tenant_id, endpoint_id, q.status, q.limit, q.cursor)
    return Result(page_body(page, service.public_delivery))


@api.route_spec("/v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}", scope="webhooks:read",
                response=DeliveryResponse, extra_statuses=(404,))
def get_delivery(call: Call[WebhookDeps], endpoint_id: str, delivery_id: str) -> Result:
    """Get a delivery"""
    delivery = call.deps.repo.get_delivery(call.tenant_id, _endpoint_id(endpoint_id), delivery_id)
    if delivery is None:
        raise NotFoundError(f"No delivery {delivery_id} of endpoint {endpoint_id}.")
    return Result(service.public_delivery(delivery))


@api.route_spec("/v1/webhook-endpoints/{endpoint_id}/deliveries/{delivery_id}/retry", "POST",
                scope="webhooks:write", request=Empty, response=DeliveryResponse, status=202, extra_statuses=(404, 409))
def retry_delivery(call: Call[WebhookDeps], endpoint_id: str, delivery_id: str) -> Result:
    """Retry a delivery now
    Whatever its status (a delivered one is sent again with the same `webhook-id`, which receivers dedupe
    on); its retry schedule starts over. 409 while the endpoint is disabled."""
    return Result(service.public_delivery(service.retry(call.tenant_id, _endpoint_id(endpoint_id), delivery_id,
                                                        call.deps)), status=202)


@api.route_spec("/v1/webhook-endpoints/{endpoint_id}/replay", "POST", scope="webhooks:write", request=ReplayRequest,
                response=ReplayResponse, status=202, extra_statuses=(404, 409))
def replay(call: Call[WebhookDeps], endpoint_id: str) -> Result:
    """Replay a period's events to an endpoint
    In the background: each event of `from`..`to` (default now) that the endpoint takes and did not receive
    (its delivery failed, or none was made: it was disabled or did not exist yet) is delivered again. Events
    it received are not sent twice (retry one delivery for that). 409 while the endpoint is disabled."""
    body: ReplayRequest = call.body
    return Result(service.replay(call.tenant_id, _endpoint_id(endpoint_id), body.from_, body.to, call.deps),
                  status=202)
