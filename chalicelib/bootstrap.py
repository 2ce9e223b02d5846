"""Composition root: builds the real adapters once per cold start.

Tests replace any of them with `override(name=instance)` and undo it with `reset()`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from chalicelib.platform.config import get_settings

if TYPE_CHECKING:  # the ports the builders promise, checked by mypy without importing the adapters
    from chalicelib.invoicing.authority import FiscalAuthority

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


class _ClockInForce:
    """The clock of the moment (`clock()`, or the one a test put in with `override`): what long-lived
    components hold, so a clock overridden after they were built is still the one they read."""

    def now(self) -> datetime:
        now: datetime = clock().now()
        return now


@_component
def ids() -> Any:
    from chalicelib.platform.ids import UlidGenerator

    return UlidGenerator()


@_component
def events() -> Any:
    from chalicelib.platform.events import EventFactory

    return EventFactory(ids(), _ClockInForce())


@_component
def tenant_repository() -> Any:
    from chalicelib.tenants.repository import DynamoTenantRepository

    return DynamoTenantRepository()


def key_resolver() -> Any:
    return tenant_repository()


def tenant_deps() -> Any:
    from chalicelib.tenants.service import TenantDeps

    environment = "live" if get_settings().stage == "prod" else "test"
    def certificates(tenant_id: str, pfx_base64: str, password: str) -> Any:
        from chalicelib.invoicing.certificates import SecretsManagerCertificateStore, upload_certificate

        return upload_certificate(tenant_id, pfx_base64, password, SecretsManagerCertificateStore(), clock().now(),
                                  cnpj=tenant_repository().get(tenant_id).cnpj)

    def provider_ready(tenant_id: str, provider: str) -> None:
        payment_provider(provider, tenant_id)  # ProviderNotConfiguredError (409) without its credentials

    return TenantDeps(repo=tenant_repository(), ids=ids(), clock=clock(), events=events(),
                      key_environment=environment, certificates=certificates, provider_ready=provider_ready)


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
def local_authority() -> FiscalAuthority:
    from chalicelib.invoicing.authority import LocalAuthority

    return LocalAuthority(_ClockInForce())


@_component
def sefaz_transport() -> Any:
    import os

    from chalicelib.invoicing.sefaz import RequestsSoapTransport

    # SEFAZ servers present ICP-Brasil chains that certifi lacks: point SEFAZ_CA_BUNDLE at a bundle with them.
    return RequestsSoapTransport(verify=os.environ.get("SEFAZ_CA_BUNDLE") or True)


def fiscal_authority(tenant: Any) -> FiscalAuthority:
    """The tenant's fiscal authority: the local one (default), or SEFAZ with the tenant's A1."""
    from chalicelib.platform.errors import InvalidStateError

    authority = tenant.settings.invoicing.authority
    if authority == "local":
        return local_authority()
    if authority != "sefaz":
        raise InvalidStateError(f"Unknown fiscal authority {authority!r}.")
    from chalicelib.invoicing.certificates import SecretsManagerCertificateStore, signing_key_for
    from chalicelib.invoicing.sefaz import SefazAuthority

    def signing_key() -> Any:
        key, _source = signing_key_for(tenant.id, tenant.cnpj, tenant.legal_name, SecretsManagerCertificateStore(),
                                       clock().now())
        return key

    return SefazAuthority(sefaz_transport(), signing_key, tenant.address.state, clock())


def invoicing_deps() -> Any:
    from chalicelib.invoicing.certificates import SecretsManagerCertificateStore
    from chalicelib.invoicing.documents import S3DocumentStore
    from chalicelib.invoicing.service import InvoicingDeps

    return InvoicingDeps(repo=invoice_repository(), ids=ids(), clock=clock(), events=events(),
                         authority=fiscal_authority, documents=S3DocumentStore(get_settings().documents_bucket),
                         certificates=SecretsManagerCertificateStore())


# Collections
@_component
def charge_repository() -> Any:
    from chalicelib.collections.repository import DynamoChargeRepository

    return DynamoChargeRepository()


def checkout_url(tenant_id: str, charge_id: str) -> str:
    """The sandbox card checkout link. PUBLIC_API_URL is the API's address as clients reach it
    (`make run` prints it; defaults to the local one)."""
    from chalicelib.collections.checkout import token

    secret = charge_repository().webhook_secret(tenant_id, "local")
    from chalicelib.platform.config import public_api_url

    base = public_api_url()
    return f"{base}/v1/sandbox/checkout/{token(tenant_id, charge_id, secret)}"


@_component
def payment_providers() -> Any:
    from chalicelib.collections.providers.local import LocalProvider

    return {"local": LocalProvider(checkout_url)}


@_component
def provider_credentials() -> Any:
    from chalicelib.collections.credentials import SecretsManagerCredentialStore

    return SecretsManagerCredentialStore()


ASAAS_URLS = {"sandbox": "https://api-sandbox.asaas.com/v3", "production": "https://api.asaas.com/v3"}


def payment_provider(name: str, tenant_id: str | None = None) -> Any:
    """The provider by name: `local` (built in), or `asaas` with the tenant's credentials."""
    from chalicelib.collections.providers import UnknownProviderError

    providers = payment_providers()
    if name in providers:
        return providers[name]
    if name == "asaas" and tenant_id is not None:
        import requests

        from chalicelib.collections.credentials import ProviderNotConfiguredError
        from chalicelib.collections.providers.asaas import AsaasProvider

        credentials = provider_credentials().get(tenant_id, "asaas")
        if credentials is None:
            raise ProviderNotConfiguredError("The tenant's provider is asaas but it has no Asaas credentials; "
                                             "PUT /v1/psp/asaas/credentials first.")
        return AsaasProvider(credentials.api_key, requests.Session(), ASAAS_URLS[credentials.environment])
    raise UnknownProviderError(f"No payment provider '{name}'.")


def charge_deps() -> Any:
    from chalicelib import catalog
    from chalicelib.collections.service import ChargeDeps
    from chalicelib.tenants import get_tenant

    return ChargeDeps(repo=charge_repository(), ids=ids(), clock=clock(), events=events(),
                      provider=payment_provider, tenant=get_tenant, customer=catalog.get_customer)
