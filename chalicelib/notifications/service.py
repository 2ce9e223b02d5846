"""Use cases of the notifications context: a message sent and recorded as a `ntf_…` item."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from chalicelib.notifications.email import EmailSender
from chalicelib.notifications.model import Message
from chalicelib.notifications.repository import DynamoNotificationRepository
from chalicelib.platform.clock import Clock, rfc3339
from chalicelib.platform.events import Event
from chalicelib.platform.ids import IdGenerator

if TYPE_CHECKING:
    from chalicelib.tenants.model import Tenant


@dataclass(frozen=True)
class NotificationDeps:
    repo: DynamoNotificationRepository
    ids: IdGenerator
    clock: Clock
    sender: EmailSender
    tenant: Callable[[str], Tenant]  # the tenants context's reader
    meter: Callable[[str, str], None]  # (tenant, counter): count one now; never raises


def send(event: Event, message: Message, deps: NotificationDeps) -> str:
    """Send `message` about `event`, record it and meter it; the notification's id."""
    message_id = deps.sender.send(message)
    notification_id = deps.ids.new("ntf")
    deps.repo.add(event.tenant_id, notification_id, {
        "id": notification_id, "channel": "email", "to": message.to, "subject": message.subject,
        "template": message.template, "event_id": event.id, "provider_message_id": message_id,
        "sent_at": rfc3339(deps.clock.now()),
    })
    deps.meter(event.tenant_id, "notifications")
    return notification_id
