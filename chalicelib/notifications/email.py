"""The channel port and its adapters: SES email (moto's SES in `make run` and tests) as raw MIME with the
attachments, and a recording adapter for WhatsApp and SMS until a provider is configured."""

from __future__ import annotations

from email.message import EmailMessage, MIMEPart
from email.utils import formataddr, make_msgid
from typing import Protocol

from chalicelib.notifications.model import Message
from chalicelib.platform.aws import client


class ChannelSender(Protocol):
    """Port: deliver one message on one channel; the provider's message id."""

    def send(self, message: Message) -> str: ...


EmailSender = ChannelSender


def mime(message: Message, sender: str) -> bytes:
    """The message as RFC 5322 bytes: text and HTML alternatives, inline images, then the attachments."""
    mail = EmailMessage()
    mail["From"] = formataddr((message.from_name, sender)) if message.from_name else sender
    mail["To"] = message.to
    if message.reply_to:
        mail["Reply-To"] = message.reply_to
    mail["Subject"] = message.subject
    mail["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    mail.set_content(message.text, subtype="plain", charset="utf-8")
    if message.html is not None:
        mail.add_alternative(message.html, subtype="html", charset="utf-8")
        html_part = mail.get_payload()[-1]  # type: ignore[index]  # multipart/alternative: [text, html]
        assert isinstance(html_part, MIMEPart)
        for inline in (a for a in message.attachments if a.content_id):
            maintype, _, subtype = inline.content_type.partition("/")
            html_part.add_related(inline.data, maintype=maintype, subtype=subtype, cid=f"<{inline.content_id}>",
                                  filename=inline.name, disposition="inline")
    for attachment in (a for a in message.attachments if not (a.content_id and message.html is not None)):
        maintype, _, subtype = attachment.content_type.partition("/")
        mail.add_attachment(attachment.data, maintype=maintype, subtype=subtype, filename=attachment.name)
    return bytes(mail.as_bytes())


class SesEmailSender:
    """Email through SES `SendRawEmail` (the only SES call that carries attachments)."""

    def __init__(self, sender: str) -> None:
        self._sender = sender

    def send(self, message: Message) -> str:
        # The recipient is the MIME To header, which SES reads when no Destinations are given.
        answer = client("ses").send_raw_email(Source=self._sender, RawMessage={"Data": mime(message, self._sender)})
        return str(answer["MessageId"])


class RecordingSender:
    """The local adapter of a channel without a provider (WhatsApp, SMS): it sends nothing and keeps the
    message, so `make run` and tests can read what would have gone out (the record keeps its text too)."""

    def __init__(self, channel: str) -> None:
        self.channel = channel
        self.sent: list[Message] = []

    def send(self, message: Message) -> str:
        self.sent.append(message)
        return f"local-{self.channel}-{len(self.sent)}"
