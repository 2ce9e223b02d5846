"""HTTP routes of notifications: the messages sent to people."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.platform.http import Api, Call, Result
from chalicelib.platform.pagination import ListQuery, page_body

if TYPE_CHECKING:  # the service brings the SES adapter (boto3): loaded by the consumer, not on a cold start
    from chalicelib.notifications.service import NotificationDeps

api: Api[NotificationDeps] = Api(__name__, tag="Notifications")


class NotificationQuery(ListQuery):
    model_config = ConfigDict(extra="forbid")

    charge_id: str | None = Field(default=None, pattern=r"^chg_[0-9A-HJKMNP-TV-Z]{26}$")


class NotificationResponse(BaseModel):
    id: str
    channel: str
    to: str
    subject: str
    template: str
    event_id: str
    charge_id: str | None = None
    provider_message_id: str
    sent_at: str


class NotificationListResponse(BaseModel):
    data: list[NotificationResponse]
    next_cursor: str | None


@api.route_spec("/v1/notifications", scope="charges:read", query=NotificationQuery, response=NotificationListResponse)
def list_notifications(call: Call[NotificationDeps]) -> Result:
    """List the messages sent, newest first
    Welcome and security notices today; dunning messages once collections exist
    (filter them with `charge_id`)."""
    page = call.deps.repo.list(call.tenant_id, call.query.charge_id, call.query.limit,
                                                    call.query.cursor)
    return Result(page_body(page, lambda doc: doc))
