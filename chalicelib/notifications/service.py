"""Use cases of the notifications context: what a tenant's customer (and the tenant) hears from us.

Each message is rendered from a pt-BR template, sent on its channel through a port, recorded as a `ntf_…`
item and metered. A customer without an address for the channel is not an error: the skip is recorded
(status `skipped`, `skip_reason`), so the tenant sees why nothing went out. Consumers run each event once
(`platform.consumers.run_once`); a crash between sending and recording can send a message twice, never lose it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from chalicelib.notifications import templates
from chalicelib.notifications.email import ChannelSender
from chalicelib.notifications.model import Attachment, Channel, Message, address_for, record
from chalicelib.notifications.repository import DynamoNotificationRepository
from chalicelib.platform.clock import Clock, rfc3339
from chalicelib.platform.events import Event
from chalicelib.platform.ids import IdGenerator

if TYPE_CHECKING:
    from chalicelib.catalog.model import Customer
    from chalicelib.collections.model import Charge
    from chalicelib.orders.model import Order
    from chalicelib.tenants.model import Tenant


@dataclass(frozen=True)
class NotificationDeps:
    repo: DynamoNotificationRepository
    ids: IdGenerator
    clock: Clock
    channels: Mapping[Channel, ChannelSender]
    tenant: Callable[[str], Tenant]  # the tenants context's reader
    customer: Callable[[str, str], Customer]  # the catalog's reader
    order: Callable[[str, str], Order]  # the orders context's reader
    charge: Callable[[str, str], Charge]  # the collections context's reader
    invoice_documents: Callable[[str, str], tuple[bytes, bytes]]  # invoicing's (nfeProc XML, DANFE PDF)
    meter: Callable[[str, str], None]  # (tenant, counter): count one now; never raises


@dataclass(frozen=True)
class Audience:
    """Who a customer message goes to and what it is about."""

    customer: Customer
    charge_ids: tuple[str, ...] = ()
    invoice_id: str | None = None


def send(event: Event, message: Message, deps: NotificationDeps) -> str:
    """Send a message to the tenant (welcome, key notices) and record it; the notification's id."""
    notification_id = deps.ids.new("ntf")
    message_id = deps.channels[message.channel].send(message)
    deps.repo.add(event.tenant_id, record(notification_id, message, channel=message.channel,
                                          template=message.template, to=message.to, status="sent",
                                          at=rfc3339(deps.clock.now()), event_id=event.id,
                                          provider_message_id=message_id))
    deps.meter(event.tenant_id, "notifications")
    return notification_id


def tenant_context(tenant: Tenant) -> dict[str, Any]:
    return {"name": tenant.name, "legal_name": tenant.legal_name, "cnpj": tenant.cnpj, "email": tenant.email}


def deliver(tenant: Tenant, audience: Audience, channel: Channel, template: str, context: dict[str, Any],
            deps: NotificationDeps, attachments: tuple[Attachment, ...] = (), *, event_id: str | None = None,
            dunning_run_id: str | None = None) -> dict[str, Any]:
    """Render `template` for the audience's customer, send it on `channel` (or record why not); the record.
    It names what caused it: an event, or a dunning run."""
    customer = audience.customer
    to = address_for(channel, customer.email, customer.phone)
    message: Message | None = None
    provider_id = skip_reason = None
    if to is None:
        skip_reason = f"the customer has no {'email' if channel == 'email' else 'phone'}"
    else:
        full = {"tenant": tenant_context(tenant), "customer": {"name": customer.name}, **context}
        rendered = templates.render(template, full, html=channel == "email")
        message = Message(to=to, subject=rendered.subject, text=rendered.text, template=template, channel=channel,
                          html=rendered.html, attachments=attachments if channel == "email" else (),
                          from_name=f"{tenant.name} via Retaguarda", reply_to=tenant.email)
        provider_id = deps.channels[channel].send(message)
        deps.meter(tenant.id, "notifications")
    doc = record(deps.ids.new("ntf"), message, channel=channel, template=template, to=to,
                 status="sent" if message else "skipped", at=rfc3339(deps.clock.now()), event_id=event_id,
                 customer_id=customer.id, charge_ids=audience.charge_ids, invoice_id=audience.invoice_id,
                 provider_message_id=provider_id, skip_reason=skip_reason, dunning_run_id=dunning_run_id)
    deps.repo.add(tenant.id, doc)
    return doc


def invoice_authorized(event: Event, deps: NotificationDeps) -> dict[str, Any] | None:
    """The NF-e to its recipient: the DANFE and the authorized XML attached (the issuer must send the XML)."""
    tenant = deps.tenant(event.tenant_id)
    if not tenant.settings.notifications.invoice_email:
        return None
    invoice = event.data["invoice"]
    order = deps.order(event.tenant_id, invoice["order_id"])
    customer = deps.customer(event.tenant_id, order.customer_id)
    attachments: tuple[Attachment, ...] = ()
    if customer.email:
        xml, pdf = deps.invoice_documents(event.tenant_id, invoice["id"])
        key = invoice.get("access_key") or invoice["id"]
        attachments = (Attachment(f"NFe{key}.pdf", "application/pdf", pdf),
                       Attachment(f"NFe{key}-procNFe.xml", "application/xml", xml))
    context = {"invoice": {**invoice, "total_cents": (invoice.get("totals") or {}).get("total_cents")}}
    return deliver(tenant, Audience(customer, invoice_id=invoice["id"]), "email", "invoice_authorized",
                   context, deps, attachments, event_id=event.id)


def charge_attachments(charge: Charge, tenant: Tenant, customer: Customer) -> tuple[Attachment, ...]:
    """What pays a charge, to attach: the boleto PDF, the Pix QR (inline in the HTML part)."""
    from chalicelib.collections.pdf import boleto_pdf
    from chalicelib.collections.pix import qrcode_png

    attachments = []
    if charge.boleto is not None:
        attachments.append(Attachment(f"boleto-{charge.id}.pdf", "application/pdf",
                                      boleto_pdf(charge, tenant, customer)))
    if charge.pix is not None:
        attachments.append(Attachment("pix-qrcode.png", "image/png", qrcode_png(charge.pix.brcode),
                                      content_id="pix-qrcode"))
    return tuple(attachments)


def charge_context(charge: Charge) -> dict[str, Any]:
    return {"charge": charge.model_dump(mode="python"), "pix_qr_cid": "pix-qrcode" if charge.pix else None}


def charge_created(event: Event, deps: NotificationDeps) -> dict[str, Any] | None:
    """A new charge to its payer, with what pays it: the boleto, the Pix copia e cola and QR, the card link."""
    tenant = deps.tenant(event.tenant_id)
    if not tenant.settings.notifications.charge_email:
        return None
    charge = deps.charge(event.tenant_id, event.data["charge"]["id"])
    if charge.status != "pending":
        return None  # paid or cancelled before the message went out: nothing to pay any more
    customer = deps.customer(event.tenant_id, charge.customer_id)
    attachments = charge_attachments(charge, tenant, customer) if customer.email else ()
    return deliver(tenant, Audience(customer, charge_ids=(charge.id,)), "email", "charge_created",
                   charge_context(charge), deps, attachments, event_id=event.id)


def dunning_context(charges: list[Charge], day: date) -> dict[str, Any]:
    """What a dunning template reads: each charge with its lateness, today's amount due and what pays it
    (already reissued for today when late), and the total."""
    from chalicelib.collections.interest import days_late

    listed = [{**charge.model_dump(mode="python"), "days_late": days_late(charge.due_date, day),
               "amount_due_cents": charge.amount_due_on(day)} for charge in charges]
    return {"charges": listed, "total_due_cents": sum(c["amount_due_cents"] for c in listed)}


def dunning_message(tenant: Tenant, customer: Customer, charges: list[Charge], day: date, channel: Channel,
                    template: str, run_id: str, deps: NotificationDeps) -> dict[str, Any]:
    """One dunning step to one customer, for every charge of theirs the step falls on today (one message,
    not one per charge); an email carries each boleto (today's, for a late one) as a PDF."""
    attachments: tuple[Attachment, ...] = ()
    if channel == "email" and customer.email:
        if len(charges) == 1:
            attachments = charge_attachments(charges[0], tenant, customer)
        else:
            attachments = tuple(a for c in charges for a in charge_attachments(c.model_copy(update={"pix": None}),
                                                                                tenant, customer))
    context = {**dunning_context(charges, day), "pix_qr_cid": "pix-qrcode" if len(charges) == 1 and charges[0].pix
               else None}
    return deliver(tenant, Audience(customer, charge_ids=tuple(c.id for c in charges)), channel, template, context,
                   deps, attachments, dunning_run_id=run_id)
