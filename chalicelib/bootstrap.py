"""Composition root: builds the real adapters once per cold start.

Tests replace any of them with `override(name=instance)` and undo it with `reset()`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from chalicelib.platform.config import get_settings

T = TypeVar("T")
_overrides: dict[str, Any] = {}
_builders: list[Any] = []


def _component(build: Callable[[], T]) -> Callable[[], T]:
    cached = functools.cache(build)
    _builders.append(cached)

    @functools.wraps(build)
    def get() -> T:
        if build.__name__ in _overrides:
            return _overrides[build.__name__]  # type: ignore[no-any-return]
        return cached()

    return get


def override(**components: Any) -> None:
    _overrides.update(components)


def reset() -> None:
    _overrides.clear()
    for cached in _builders:
        cached.cache_clear()


@_component
def clock() -> Any:
    from chalicelib.platform.clock import SystemClock

    return SystemClock()


@_component
def ids() -> Any:
    from chalicelib.platform.ids import UlidGenerator

    return UlidGenerator()


@_component
def events() -> Any:
    from chalicelib.platform.events import EventFactory

    return EventFactory(ids(), clock())


@_component
def tenant_repository() -> Any:
    from chalicelib.tenants.repository import DynamoTenantRepository

    return DynamoTenantRepository()


def key_resolver() -> Any:
    return tenant_repository()


def tenant_deps() -> Any:
    from chalicelib.tenants.service import TenantDeps

    environment = "live" if get_settings().stage == "prod" else "test"
    return TenantDeps(repo=tenant_repository(), ids=ids(), clock=clock(), events=events(),
                      key_environment=environment)


@_component
def event_log() -> Any:
    from chalicelib.webhooks.repository import DynamoEventLog

    return DynamoEventLog()


@_component
def event_bus() -> Any:
    from chalicelib.platform.aws import client
    from chalicelib.platform.publisher import EventBridgeBus

    return EventBridgeBus(client("events"), get_settings().event_bus_name)


@_component
def notifier() -> Any:
    from chalicelib.notifications.email import SesEmailSender

    return SesEmailSender(get_settings().notifications_sender)


@_component
def notification_repository() -> Any:
    from chalicelib.notifications.repository import DynamoNotificationRepository

    return DynamoNotificationRepository()


@_component
def catalog_repository() -> Any:
    from chalicelib.catalog.repository import DynamoCatalogRepository

    return DynamoCatalogRepository()


def catalog_deps() -> Any:
    from chalicelib.catalog.service import CatalogDeps

    return CatalogDeps(repo=catalog_repository(), ids=ids(), clock=clock(), events=events(), stock=stock_deps())


@_component
def stock_repository() -> Any:
    from chalicelib.stock.repository import DynamoStockRepository

    return DynamoStockRepository()


def stock_deps() -> Any:
    from chalicelib.stock.service import StockDeps

    return StockDeps(repo=stock_repository(), ids=ids(), clock=clock(), events=events())


@_component
def order_repository() -> Any:
    from chalicelib.orders.repository import DynamoOrderRepository

    return DynamoOrderRepository()


def order_deps() -> Any:
    from chalicelib.orders.service import OrderDeps
    from chalicelib.tenants import get_tenant

    return OrderDeps(repo=order_repository(), ids=ids(), clock=clock(), events=events(),
                     invoicing_enabled=lambda tenant_id: get_tenant(tenant_id).settings.invoicing.enabled)


@_component
def invoice_repository() -> Any:
    from chalicelib.invoicing.repository import DynamoInvoiceRepository

    return DynamoInvoiceRepository()


@_component
def local_authority() -> Any:
    from chalicelib.invoicing.authority import LocalAuthority

    return LocalAuthority(clock())


def fiscal_authority(tenant: Any) -> Any:
    """The tenant's fiscal authority: the local one (default), or SEFAZ (not wired yet)."""
    from chalicelib.platform.errors import InvalidStateError

    if tenant.settings.invoicing.authority != "local":
        raise InvalidStateError("The SEFAZ adapter is not available yet; use the local authority.")
    return local_authority()


def invoicing_deps() -> Any:
    from chalicelib.invoicing.certificates import SecretsManagerCertificateStore
    from chalicelib.invoicing.documents import S3DocumentStore
    from chalicelib.invoicing.service import InvoicingDeps

    return InvoicingDeps(repo=invoice_repository(), ids=ids(), clock=clock(), events=events(),
                         authority=fiscal_authority, documents=S3DocumentStore(get_settings().documents_bucket),
                         certificates=SecretsManagerCertificateStore())
