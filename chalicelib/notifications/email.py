"""Email port and its SES adapter (moto's SES in `make run` and tests)."""

from __future__ import annotations

from typing import Protocol

from chalicelib.notifications.model import Message
from chalicelib.platform.aws import client


class EmailSender(Protocol):
    def send(self, message: Message) -> str: ...


class SesEmailSender:
    def __init__(self, sender: str) -> None:
        self._sender = sender

    def send(self, message: Message) -> str:
        answer = client("ses").send_email(
            Source=self._sender,
            Destination={"ToAddresses": [message.to]},
            Message={"Subject": {"Data": message.subject, "Charset": "UTF-8"},
                     "Body": {"Text": {"Data": message.text, "Charset": "UTF-8"}}},
        )
        return str(answer["MessageId"])
