"""Every DynamoDB key is built here, and nowhere else.

Tenant items live under the partition `T#<tenant_id>`: tenancy is structural, since no
code path can reach an item without naming its tenant first. The few platform items
(API-key lookups by hash, admin idempotency records) have their own prefixes.
"""

from __future__ import annotations

from dataclasses import dataclass

TENANT = "T#"
EVENT_PREFIX = "EVT#"


@dataclass(frozen=True)
class Key:
    pk: str
    sk: str


def _tenant(tenant_id: str) -> str:
    if not tenant_id or "#" in tenant_id:
        raise ValueError("a tenant key needs a tenant id")
    return f"{TENANT}{tenant_id}"


def _part(value: str) -> str:
    # Ids reach keys only after validation; this is the last guard against key injection.
    if "#" in value:
        raise ValueError("key parts cannot contain '#'")
    return value


# Platform: the one place where an item is addressed without a tenant first.
def api_key_lookup(key_hash: str) -> Key:
    return Key(f"APIKEY#{_part(key_hash)}", "APIKEY")


def tenant_cnpj_claim(cnpj: str) -> Key:
    """One tenant per CNPJ: a platform-wide uniqueness claim."""
    return Key(f"CNPJ#{_part(cnpj)}", "CNPJ")


def principal_partition(tenant_id: str | None) -> str:
    """Partition for a caller's own records (idempotency): the tenant's, or the platform's."""
    return _tenant(tenant_id) if tenant_id else "PLATFORM#admin"


# Tenants
def tenant_profile(tenant_id: str) -> Key:
    return Key(_tenant(tenant_id), "TENANT")


def tenant_api_key(tenant_id: str, key_id: str) -> Key:
    return Key(_tenant(tenant_id), f"KEY#{_part(key_id)}")


def tenant_api_key_prefix(tenant_id: str) -> Key:
    return Key(_tenant(tenant_id), "KEY#")


def tenants_index(tenant_id: str) -> Key:
    """GSI1 entry listing every tenant (admin views), newest id last."""
    return Key("TENANTS", _part(tenant_id))


# Events (the outbox and the tenant's event log are the same items)
def event(tenant_id: str, event_id: str) -> Key:
    return Key(_tenant(tenant_id), f"{EVENT_PREFIX}{_part(event_id)}")


def event_prefix(tenant_id: str) -> Key:
    return Key(_tenant(tenant_id), EVENT_PREFIX)


def event_type_index(tenant_id: str, event_type: str, event_id: str) -> Key:
    return Key(f"{_tenant(tenant_id)}#EVTTYPE#{_part(event_type)}", _part(event_id))


# Idempotency and consumer markers
def idempotency(tenant_id: str | None, idempotency_key_hash: str) -> Key:
    return Key(principal_partition(tenant_id), f"IDEM#{_part(idempotency_key_hash)}")


def processed_marker(tenant_id: str, consumer: str, event_id: str) -> Key:
    return Key(_tenant(tenant_id), f"DONE#{_part(consumer)}#{_part(event_id)}")


# Notifications (messages sent to people: emails today)
def notification(tenant_id: str, notification_id: str) -> Key:
    return Key(_tenant(tenant_id), f"NTF#{_part(notification_id)}")


def notification_prefix(tenant_id: str) -> Key:
    return Key(_tenant(tenant_id), "NTF#")


# Usage metering
def usage(tenant_id: str, month: str) -> Key:
    return Key(_tenant(tenant_id), f"USAGE#{_part(month)}")


def tenant_of_partition(pk: str) -> str | None:
    """The tenant id of a tenant partition key, else None."""
    if pk.startswith(TENANT):
        return pk[len(TENANT):].split("#", 1)[0]
    return None


# Catalog
def customer(tenant_id: str, customer_id: str) -> Key:
    return Key(_tenant(tenant_id), f"CUS#{_part(customer_id)}")


def customer_prefix(tenant_id: str) -> Key:
    return Key(_tenant(tenant_id), "CUS#")


def customer_document_claim(tenant_id: str, document: str) -> Key:
    """One customer per CPF/CNPJ within a tenant: a uniqueness claim item."""
    return Key(_tenant(tenant_id), f"CUSDOC#{_part(document)}")


def product(tenant_id: str, sku: str) -> Key:
    """The product item is its own SKU claim: a conditional put keeps SKUs unique per tenant."""
    return Key(_tenant(tenant_id), f"PRD#{_part(sku)}")


def product_prefix(tenant_id: str) -> Key:
    return Key(_tenant(tenant_id), "PRD#")


# Stock
def stock_level(tenant_id: str, sku: str) -> Key:
    """One item per SKU: totals plus per-warehouse maps, so a k-line reservation writes k items."""
    return Key(_tenant(tenant_id), f"STK#{_part(sku)}")


def stock_level_prefix(tenant_id: str) -> Key:
    return Key(_tenant(tenant_id), "STK#")


def stock_below_minimum_index(tenant_id: str, sku: str) -> Key:
    """Sparse GSI1 entry present only while the SKU's available stock is below its minimum."""
    return Key(f"{_tenant(tenant_id)}#STKLOW", _part(sku))


def stock_movement(tenant_id: str, movement_id: str) -> Key:
    return Key(_tenant(tenant_id), f"MOV#{_part(movement_id)}")


def stock_movement_prefix(tenant_id: str) -> Key:
    return Key(_tenant(tenant_id), "MOV#")


def stock_movement_sku_index(tenant_id: str, sku: str, movement_id: str) -> Key:
    """GSI1 entry: one SKU's movement ledger, ordered by movement id (time)."""
    return Key(f"{_tenant(tenant_id)}#MOVSKU#{_part(sku)}", _part(movement_id))


def warehouse(tenant_id: str, code: str) -> Key:
    """A registered warehouse (`main` is built in and never stored); the item is its code's claim."""
    return Key(_tenant(tenant_id), f"WHS#{_part(code)}")


def warehouse_prefix(tenant_id: str) -> Key:
    return Key(_tenant(tenant_id), "WHS#")


def stock_reservation(tenant_id: str, reservation_id: str) -> Key:
    return Key(_tenant(tenant_id), f"RSV#{_part(reservation_id)}")


def stock_reservation_prefix(tenant_id: str) -> Key:
    return Key(_tenant(tenant_id), "RSV#")


# Orders
def order(tenant_id: str, order_id: str) -> Key:
    return Key(_tenant(tenant_id), f"ORD#{_part(order_id)}")


def order_prefix(tenant_id: str) -> Key:
    return Key(_tenant(tenant_id), "ORD#")


def order_status_index(tenant_id: str, status: str, order_id: str) -> Key:
    """GSI1 entry: a tenant's orders in one status, newest id last."""
    return Key(f"{_tenant(tenant_id)}#ORDSTATUS#{_part(status)}", _part(order_id))


# Invoicing
def invoice(tenant_id: str, invoice_id: str) -> Key:
    return Key(_tenant(tenant_id), f"INV#{_part(invoice_id)}")


def invoice_prefix(tenant_id: str) -> Key:
    return Key(_tenant(tenant_id), "INV#")


def invoice_status_index(tenant_id: str, status: str, invoice_id: str) -> Key:
    return Key(f"{_tenant(tenant_id)}#INVSTATUS#{_part(status)}", _part(invoice_id))


def invoice_of_order(tenant_id: str, order_id: str) -> Key:
    """One NF-e per order: the claim that makes emission idempotent."""
    return Key(_tenant(tenant_id), f"INVORDER#{_part(order_id)}")


def invoice_number_counter(tenant_id: str, series: int) -> Key:
    """The next nNF of a série (per tenant, i.e. per CNPJ, modelo 55)."""
    return Key(_tenant(tenant_id), f"NFESEQ#{series:03d}")


def invoice_number_void(tenant_id: str, void_id: str) -> Key:
    return Key(_tenant(tenant_id), f"VOD#{_part(void_id)}")


def local_authority_number(cnpj: str, series: int, number: int) -> Key:
    """The local fiscal authority's own registry (it stands in for SEFAZ's database)."""
    return Key(f"LOCALSEFAZ#{_part(cnpj)}#55#{series:03d}", f"NNF#{number:09d}")


# Collections
def charge(tenant_id: str, charge_id: str) -> Key:
    return Key(_tenant(tenant_id), f"CHG#{_part(charge_id)}")


def charge_prefix(tenant_id: str) -> Key:
    return Key(_tenant(tenant_id), "CHG#")


def charge_status_index(tenant_id: str, status: str, charge_id: str) -> Key:
    """GSI1 entry: a tenant's charges in one status, newest id last."""
    return Key(f"{_tenant(tenant_id)}#CHGSTATUS#{_part(status)}", _part(charge_id))


def charge_due_index(due_date: str, tenant_id: str, charge_id: str) -> Key:
    """GSI2 entry, present while a charge is open: the charges due on one date, across tenants
    (the daily overdue and dunning runs read one date's partition, not every charge)."""
    return Key(f"CHGDUE#{_part(due_date)}", f"{_tenant(tenant_id)}#{_part(charge_id)}")


def charges_of_order_claim(tenant_id: str, order_id: str) -> Key:
    """One set of charges per order: written with a condition in the transaction that creates them."""
    return Key(_tenant(tenant_id), f"CHGORD#{_part(order_id)}")


def nosso_numero_counter(tenant_id: str) -> Key:
    """The tenant's boleto nosso número sequence (atomic ADD; a number is never handed out twice)."""
    return Key(_tenant(tenant_id), "NOSSONUM")


def psp_notice(tenant_id: str, provider: str, provider_event_id: str) -> Key:
    """A payment provider's notice, once: its event id claimed in the settlement's transaction."""
    return Key(_tenant(tenant_id), f"PSPEVT#{_part(provider)}#{_part(provider_event_id)}")


def psp_secret(tenant_id: str, provider: str) -> Key:
    """The tenant's webhook signing secret for one payment provider."""
    return Key(_tenant(tenant_id), f"PSPSECRET#{_part(provider)}")
