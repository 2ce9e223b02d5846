"""HTTP routes of notifications: the messages sent to the tenant's customers (and to the tenant)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.platform.http import Api, Call, Result
from chalicelib.platform.pagination import ListQuery, page_body

if TYPE_CHECKING:  # the service brings the SES adapter (boto3): loaded by the consumer, not on a cold start
    from chalicelib.notifications.service import NotificationDeps

api: Api[NotificationDeps] = Api(__name__, tag="Notifications")

_ULID = r"[0-9A-HJKMNP-TV-Z]{26}"


class NotificationQuery(ListQuery):
    model_config = ConfigDict(extra="forbid")

    customer_id: str | None = Field(default=None, pattern=rf"^cus_{_ULID}$")
    charge_id: str | None = Field(default=None, pattern=rf"^chg_{_ULID}$")
    invoice_id: str | None = Field(default=None, pattern=rf"^inv_{_ULID}$")
    channel: Literal["email", "whatsapp", "sms"] | None = None


class AttachmentResponse(BaseModel):
    name: str
    content_type: str


class NotificationResponse(BaseModel):
    id: str
    channel: Literal["email", "whatsapp", "sms"]
    to: str | None = Field(description="The address or phone it went to; null when skipped for want of one.")
    subject: str | None
    template: str
    status: Literal["sent", "skipped"] = Field(description=(
        "`sent`, or `skipped` when the customer has no address for the channel (`skip_reason` says why)."))
    sent_at: str | None
    created_at: str | None = None
    customer_id: str | None = None
    charge_ids: list[str] = Field(default_factory=list)
    invoice_id: str | None = None
    attachments: list[AttachmentResponse] = Field(default_factory=list)
    event_id: str | None = Field(default=None, description="The event that caused it (a new NF-e, a new charge).")
    dunning_run_id: str | None = Field(default=None, description="The dunning run that sent it (a reminder).")
    provider_message_id: str | None = None
    skip_reason: str | None = None
    text: str | None = Field(default=None, description="What a WhatsApp or SMS message said (email keeps no copy).")


class NotificationListResponse(BaseModel):
    data: list[NotificationResponse]
    next_cursor: str | None


def render(doc: dict[str, object]) -> dict[str, object]:
    """A stored notification as the API shows it (records written before `status` existed were all sent)."""
    return {"status": "sent", "charge_ids": [], "attachments": [], **doc}


@api.route_spec("/v1/notifications", scope="charges:read", query=NotificationQuery, response=NotificationListResponse)
def list_notifications(call: Call[NotificationDeps]) -> Result:
    """List the messages sent, newest first
    The NF-e and charge emails to customers, dunning steps, and the tenant's own notices; narrowed by
    `customer_id`, `charge_id`, `invoice_id` and `channel`. A message that could not go out for want of an
    address is listed as `skipped`."""
    q: NotificationQuery = call.query
    page = call.deps.repo.list(call.tenant_id, q.limit, q.cursor, customer_id=q.customer_id, charge_id=q.charge_id,
                               invoice_id=q.invoice_id, channel=q.channel)
    return Result(page_body(page, render))


@api.route_spec("/v1/notifications/{notification_id}", scope="charges:read", response=NotificationResponse,
                extra_statuses=(404,))
def get_notification(call: Call[NotificationDeps], notification_id: str) -> Result:
    """Get a notification"""
    return Result(render(call.deps.repo.get(call.tenant_id, notification_id)))
