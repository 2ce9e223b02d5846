"""Message templates: pure functions from an event to a message."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    text: str
    template: str


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
