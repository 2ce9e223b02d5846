"""Charges in the single table: one item per charge, plus the claims and counters that keep
the invariants (one set of charges per order, one settlement per provider notice, nosso número
never reused)."""

from __future__ import annotations

import builtins
import json
import secrets
from typing import Any

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError, UpdateError

from chalicelib.collections import keys
from chalicelib.collections.model import Charge
from chalicelib.platform.dynamo import BaseRecord, Gsi2, UnitOfWork, batch_get, get_item, newest_page
from chalicelib.platform.errors import ConflictError, FieldError, NotFoundError
from chalicelib.platform.ids import is_id
from chalicelib.platform.keys import tenant_of_partition
from chalicelib.platform.pagination import Page

# The boleto layouts in use (BB convênio 7) give the sequence 10 digits.
NOSSO_NUMERO_MAX = 9_999_999_999


class ChargeRecord(BaseRecord):
    doc = JSONAttribute()
    version = NumberAttribute()
    status = UnicodeAttribute()
    customer_id = UnicodeAttribute()
    due_date = UnicodeAttribute()
    order_id = UnicodeAttribute(null=True)
    gsi2pk = UnicodeAttribute(null=True)
    gsi2sk = UnicodeAttribute(null=True)
    gsi2 = Gsi2["ChargeRecord"]()


class OrderChargesClaimRecord(BaseRecord):
    charge_ids = JSONAttribute()


class CounterRecord(BaseRecord):
    value = NumberAttribute()


class NoticeRecord(BaseRecord):
    charge_id = UnicodeAttribute()
    payment_id = UnicodeAttribute()
    outcome = UnicodeAttribute()


class OurNumberRecord(BaseRecord):
    charge_id = UnicodeAttribute()


class SecretRecord(BaseRecord):
    secret = UnicodeAttribute()


def _record(tenant_id: str, charge: Charge) -> ChargeRecord:
    doc = json.loads(charge.model_dump_json(exclude={"version"}))
    index = keys.charge_status_index(tenant_id, charge.status, charge.id)
    due = keys.charge_due_index(charge.due_date.isoformat(), tenant_id, charge.id) if charge.is_open else None
    return ChargeRecord.at(keys.charge(tenant_id, charge.id), kind="charge", doc=doc, version=charge.version,
                           status=charge.status, customer_id=charge.customer_id,
                           due_date=charge.due_date.isoformat(), order_id=charge.order_id,
                           gsi1pk=index.pk, gsi1sk=index.sk,
                           gsi2pk=due.pk if due else None, gsi2sk=due.sk if due else None)


def _charge(record: ChargeRecord) -> Charge:
    return Charge.model_validate({**record.doc, "version": int(record.version)})


class DynamoChargeRepository:
    def get(self, tenant_id: str, charge_id: str) -> Charge:
        key = keys.charge(tenant_id, charge_id) if is_id(charge_id, "chg") else None
        missing = NotFoundError(f"No charge {charge_id}.", [FieldError("charge_id", "no such charge")])
        return _charge(get_item(ChargeRecord, key, missing))

    def stage_new(self, uow: UnitOfWork, tenant_id: str, charge: Charge) -> None:
        uow.put(_record(tenant_id, charge), condition=ChargeRecord.pk.does_not_exist())
        if charge.boleto is not None:
            uow.put(OurNumberRecord.at(keys.charge_by_our_number(tenant_id, charge.boleto.our_number),
                                       kind="charge_our_number", charge_id=charge.id))

    def get_many(self, tenant_id: str, charge_ids: builtins.list[str]) -> dict[str, Charge]:
        """The charges that exist among these ids (one BatchGetItem per 100)."""
        wanted = [keys.charge(tenant_id, c) for c in charge_ids if is_id(c, "chg")]
        return {charge.id: charge for charge in map(_charge, batch_get(ChargeRecord, wanted))}

    def ids_by_our_number(self, tenant_id: str, our_numbers: builtins.list[str]) -> dict[str, str]:
        """nosso número (without leading zeros) → charge id, for the numbers that name one of our boletos."""
        wanted = [keys.charge_by_our_number(tenant_id, n) for n in our_numbers]
        return {str(record.sk).rsplit("#", 1)[1]: str(record.charge_id)
                for record in batch_get(OurNumberRecord, wanted)}

    def stage_update(self, uow: UnitOfWork, tenant_id: str, charge: Charge, expected_version: int,
                     on_fail: Any) -> None:
        """Replace the charge if it is still at `expected_version` (optimistic lock)."""
        uow.put(_record(tenant_id, charge), condition=ChargeRecord.version == expected_version, on_fail=on_fail)

    # One set of charges per order
    def order_charge_ids(self, tenant_id: str, order_id: str) -> list[str] | None:
        key = keys.charges_of_order_claim(tenant_id, order_id)
        try:
            return list(OrderChargesClaimRecord.get(key.pk, key.sk, consistent_read=True).charge_ids)
        except OrderChargesClaimRecord.DoesNotExist:
            return None

    def stage_order_claim(self, uow: UnitOfWork, tenant_id: str, order_id: str, charge_ids: list[str],
                          on_fail: Any) -> None:
        record = OrderChargesClaimRecord.at(keys.charges_of_order_claim(tenant_id, order_id), kind="charge_claim",
                                            charge_ids=charge_ids)
        uow.put(record, condition=OrderChargesClaimRecord.pk.does_not_exist(), on_fail=on_fail)

    # Provider notices, once each
    def notice(self, tenant_id: str, provider: str, event_id: str) -> NoticeRecord | None:
        key = keys.psp_notice(tenant_id, provider, event_id)
        try:
            return NoticeRecord.get(key.pk, key.sk, consistent_read=True)
        except NoticeRecord.DoesNotExist:
            return None

    def stage_notice(self, uow: UnitOfWork, tenant_id: str, provider: str, event_id: str, charge_id: str,
                     payment_id: str, outcome: str, on_fail: Any) -> None:
        record = NoticeRecord.at(keys.psp_notice(tenant_id, provider, event_id), kind="psp_notice",
                                 charge_id=charge_id, payment_id=payment_id, outcome=outcome)
        uow.put(record, condition=NoticeRecord.pk.does_not_exist(), on_fail=on_fail)

    # Nosso número
    def reserve_nosso_numeros(self, tenant_id: str, count: int) -> list[int]:
        """`count` fresh sequence numbers in one atomic ADD; a failed charge leaves a gap, never a repeat."""
        key = keys.nosso_numero_counter(tenant_id)
        counter = CounterRecord.at(key)
        try:
            counter.update(actions=[CounterRecord.value.add(count)],
                           condition=CounterRecord.value.does_not_exist()
                           | (CounterRecord.value <= NOSSO_NUMERO_MAX - count))
        except UpdateError as exc:
            if exc.cause_response_code == "ConditionalCheckFailedException":
                raise ConflictError("The boleto nosso número sequence is exhausted for this agreement.") from None
            raise
        last = int(counter.value)
        return list(range(last - count + 1, last + 1))

    # Webhook secrets
    def webhook_secret(self, tenant_id: str, provider: str, create: bool = True) -> str | None:
        """The tenant's signing secret for a provider; made once (first writer wins) when `create`."""
        key = keys.psp_secret(tenant_id, provider)
        try:
            return str(SecretRecord.get(key.pk, key.sk, consistent_read=True).secret)
        except SecretRecord.DoesNotExist:
            if not create:
                return None
        record = SecretRecord.at(key, kind="psp_secret", secret=f"whsec_{secrets.token_hex(24)}")
        try:
            record.save(condition=SecretRecord.pk.does_not_exist())
        except PutError as exc:
            if exc.cause_response_code != "ConditionalCheckFailedException":
                raise
            return str(SecretRecord.get(key.pk, key.sk, consistent_read=True).secret)
        return str(record.secret)

    # Listing
    def list(self, tenant_id: str, status: str | None, customer_id: str | None, due_before: str | None,
             limit: int, cursor: str | None) -> Page[Charge]:
        condition = None
        if customer_id:
            condition = ChargeRecord.customer_id == customer_id
        if due_before:
            before = ChargeRecord.due_date < due_before
            condition = before if condition is None else condition & before

        return newest_page(ChargeRecord, f"{tenant_id}:charges:{status or '*'}:{customer_id or '*'}:{due_before or '*'}",
                           limit, cursor, _charge, prefix=keys.charge_prefix(tenant_id),
                           index=keys.charge_status_index(tenant_id, status, "x") if status else None,
                           filter_condition=condition)

    def open_due_on(self, tenant_id: str, due_date: str) -> builtins.list[Charge]:
        """A tenant's open charges due on a date: one key-condition query of the sparse due-date index
        (the date's partition, the tenant's sort-key prefix), so it reads those charges and nothing else."""
        partition = keys.charge_due_index(due_date, tenant_id, "x")
        prefix = partition.sk.rsplit("#", 1)[0] + "#"
        return [_charge(record) for record in ChargeRecord.gsi2.query(partition.pk, ChargeRecord.gsi2sk.startswith(prefix))]

    def pending_due_on(self, due_date: str) -> builtins.list[tuple[str, str]]:
        """(tenant_id, charge_id) of every pending charge due on a date, across tenants (the index holds
        open charges; overdue ones are left out)."""
        out = []
        partition = keys.charge_due_index(due_date, "any", "any").pk
        for record in ChargeRecord.gsi2.query(partition, filter_condition=ChargeRecord.status == "pending"):
            sort_key = str(record.gsi2sk)
            tenant_id = tenant_of_partition(sort_key)
            if tenant_id:
                out.append((tenant_id, sort_key.rsplit("#", 1)[1]))
        return out
