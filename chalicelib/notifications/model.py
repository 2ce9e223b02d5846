"""Messages and their records: pure functions from what happened to what a person receives."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Channel = Literal["email", "whatsapp", "sms"]
CHANNELS: tuple[Channel, ...] = ("email", "whatsapp", "sms")


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    data: bytes
    content_id: str | None = None  # referenced from the HTML part as cid:<content_id> (an inline image)


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    text: str
    template: str
    channel: Channel = "email"
    html: str | None = None
    attachments: tuple[Attachment, ...] = field(default=())
    from_name: str | None = None  # "<tenant> via Retaguarda": the customer sees who is writing
    reply_to: str | None = None  # the tenant's own address: the customer's answer reaches the tenant


def address_for(channel: Channel, email: str | None, phone: str | None) -> str | None:
    """Where a customer receives `channel`: her email, or her phone for WhatsApp and SMS."""
    return email if channel == "email" else phone


def record(notification_id: str, message: Message | None, *, channel: Channel, template: str, to: str | None,
           status: Literal["sent", "skipped"], at: str, event_id: str | None, customer_id: str | None = None,
           charge_ids: tuple[str, ...] = (), invoice_id: str | None = None, provider_message_id: str | None = None,
           skip_reason: str | None = None, dunning_run_id: str | None = None) -> dict[str, Any]:
    """The `ntf_…` document the API lists: what was sent (or why not), to whom, about what."""
    return {
        "id": notification_id, "channel": channel, "to": to, "subject": message.subject if message else None,
        "template": template, "status": status, "sent_at": at if status == "sent" else None,
        "created_at": at, "customer_id": customer_id, "charge_ids": list(charge_ids), "invoice_id": invoice_id,
        "attachments": [{"name": a.name, "content_type": a.content_type} for a in message.attachments]
        if message else [],
        "event_id": event_id, "dunning_run_id": dunning_run_id, "provider_message_id": provider_message_id,
        "skip_reason": skip_reason,
        # what was said, for channels whose provider keeps no copy we can show (WhatsApp, SMS)
        "text": message.text if message and channel != "email" else None,
    }


def welcome(to: str, tenant_name: str) -> Message:
    return Message(to, f"Bem-vindo à Retaguarda, {tenant_name}",
                   f"Olá, {tenant_name}!\n\nSua conta na Retaguarda está pronta. Use a chave de API entregue "
                   "no cadastro para emitir pedidos, notas e cobranças.\n", "welcome")


def api_key_created(to: str, key_name: str, prefix: str) -> Message:
    return Message(to, "Nova chave de API criada",
                   f"Uma nova chave de API ({key_name}, {prefix}…) foi criada na sua conta. "
                   "Se não foi você, revogue-a imediatamente.\n", "api_key_created")


def api_key_revoked(to: str, key_name: str) -> Message:
    return Message(to, "Chave de API revogada",
                   f"A chave de API {key_name} foi revogada e não autentica mais.\n", "api_key_revoked")
