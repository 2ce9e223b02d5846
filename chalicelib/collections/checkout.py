"""The local provider's card checkout: a page a person opens from `card_link.url` and pays with a click.

The link carries a token `<tenant_id>.<charge_id>.<mac>` signed with the tenant's `local` webhook secret,
so the page needs no API key and cannot be forged for another tenant's charge.
"""

from __future__ import annotations

import hashlib
import hmac
import html

from chalicelib.platform.errors import FieldError, NotFoundError
from chalicelib.platform.money import format_brl

MAC_LENGTH = 32


def token(tenant_id: str, charge_id: str, secret: str) -> str:
    mac = hmac.new(secret.encode(), f"checkout:{tenant_id}:{charge_id}".encode(), hashlib.sha256).hexdigest()
    return f"{tenant_id}.{charge_id}.{mac[:MAC_LENGTH]}"


def split_token(value: str) -> tuple[str, str, str]:
    parts = value.split(".")
    if len(parts) != 3 or len(parts[2]) != MAC_LENGTH:
        raise NotFoundError("No such checkout.", [FieldError("token", "is not a checkout token")])
    return parts[0], parts[1], parts[2]


def check_token(value: str, secret: str | None) -> tuple[str, str]:
    tenant_id, charge_id, _ = split_token(value)
    if secret is None or not hmac.compare_digest(token(tenant_id, charge_id, secret), value):
        raise NotFoundError("No such checkout.", [FieldError("token", "is not a checkout token")])
    return tenant_id, charge_id


def page(*, payee: str, description: str, amount_due_cents: int, status: str, pay_action: str,
         message: str | None = None) -> str:
    """The checkout page: what is being paid, and a Pay button while the charge is open."""
    esc = html.escape
    button = (f'<form method="post" action="{esc(pay_action)}">'
              f'<button id="pay" type="submit">Pagar {esc(format_brl(amount_due_cents))}</button></form>'
              if status in ("pending", "overdue") else "")
    note = f'<p id="message">{esc(message)}</p>' if message else ""
    return f"""<!doctype html>
<html lang="pt-BR"><head><meta charset="utf-8"><title>Pagamento - {esc(payee)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:sans-serif;max-width:28rem;margin:3rem auto;padding:0 1rem}}
button{{font-size:1.1rem;padding:.6rem 1.2rem}} .sandbox{{color:#a60;font-size:.85rem}}</style></head>
<body><p class="sandbox">Ambiente de testes (sandbox): nenhum cartão é cobrado.</p>
<h1>{esc(payee)}</h1><p id="description">{esc(description)}</p>
<p>Status: <strong id="status">{esc(status)}</strong></p>
<p>Valor: <strong id="amount">{esc(format_brl(amount_due_cents))}</strong></p>
{note}{button}</body></html>"""
