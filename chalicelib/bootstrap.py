"""Composition root: the one place that knows every adapter and wires the contexts together.

An entry point (app.py for the Lambda functions, local/, bench/, tests) builds one `Container` and
hands it down: each blueprint is given its context's deps (`api.provide(...)`, read by views as
`call.deps`), each consumer gets them as an argument (`handle(event, deps)`). No module under
`chalicelib/` but this one imports it.

The container is typed end to end (mypy strict checks every adapter against the port its context
declares) and lazy: a context's deps are built, and its heavy modules imported, on first use only
(`functools.cached_property`), so a cold start pays for what its request touches. What is
swappable is a field: `Container(clock=FixedClock(...))`, `dataclasses.replace(container, ...)`;
an unknown name is a TypeError, not a silent no-op.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from chalicelib.platform.clock import Clock, SystemClock
from chalicelib.platform.config import Settings, get_settings
from chalicelib.platform.ids import IdGenerator, UlidGenerator

if TYPE_CHECKING:  # the ports and deps the container promises; imported lazily at run time
    from chalicelib.catalog.model import Customer, Product, Supplier
    from chalicelib.catalog.repository import DynamoCatalogRepository
    from chalicelib.catalog.service import CatalogDeps
    from chalicelib.collections.credentials import SecretsManagerCredentialStore
    from chalicelib.collections.model import Charge
    from chalicelib.collections.providers import PaymentProvider
    from chalicelib.collections.repository import DynamoChargeRepository
    from chalicelib.collections.service import ChargeDeps
    from chalicelib.dunning.service import DunningDeps
    from chalicelib.eventlog.repository import DynamoEventLog
    from chalicelib.invoicing.authority import AuthorityAnswer, FiscalAuthority
    from chalicelib.invoicing.dfe import Distribution
    from chalicelib.invoicing.repository import DynamoInvoiceRepository
    from chalicelib.invoicing.sefaz import SoapTransport
    from chalicelib.invoicing.service import InvoicingDeps
    from chalicelib.ledger.repository import DynamoLedgerRepository
    from chalicelib.ledger.service import LedgerDeps
    from chalicelib.metering.service import MeteringDeps
    from chalicelib.notifications.email import ChannelSender
    from chalicelib.notifications.model import Channel
    from chalicelib.notifications.repository import DynamoNotificationRepository
    from chalicelib.notifications.service import NotificationDeps
    from chalicelib.orders.model import Order
    from chalicelib.orders.repository import DynamoOrderRepository
    from chalicelib.orders.service import OrderDeps
    from chalicelib.payables.model import Payable
    from chalicelib.payables.providers import BillPayer
    from chalicelib.payables.service import PayableDeps
    from chalicelib.platform.events import EventFactory
    from chalicelib.platform.publisher import EventBridgeBus
    from chalicelib.purchasing.service import PurchasingDeps
    from chalicelib.reconciliation.service import ReconciliationDeps
    from chalicelib.reports.service import ReportDeps
    from chalicelib.stock.repository import DynamoStockRepository
    from chalicelib.stock.service import StockDeps
    from chalicelib.tenants.model import Tenant
    from chalicelib.tenants.repository import DynamoTenantRepository
    from chalicelib.tenants.service import TenantDeps
    from chalicelib.webhooks.secrets import KeyWrapper
    from chalicelib.webhooks.sender import Sender
    from chalicelib.webhooks.service import WebhookDeps, WorkQueue

ASAAS_URLS = {"sandbox": "https://api-sandbox.asaas.com/v3", "production": "https://api.asaas.com/v3"}


@dataclass(frozen=True)
class Container:
    """Every context's typed dependencies, built from settings and the fields given."""

    settings: Settings = field(default_factory=get_settings)
    clock: Clock = field(default_factory=SystemClock)
    ids: IdGenerator = field(default_factory=UlidGenerator)
    # None: the real one, built on first use (it brings lxml, signxml and nfelib: no cold start pays for them).
    sefaz_transport: SoapTransport | None = None
    # None: the real ones (urllib3 behind the SSRF guard; the webhooks SQS queue).
    webhook_sender: Sender | None = None
    webhook_queue: WorkQueue | None = None

    # The kernel
    @cached_property
    def events(self) -> EventFactory:
        from chalicelib.platform.events import EventFactory

        return EventFactory(self.ids, self.clock)

    @cached_property
    def event_bus(self) -> EventBridgeBus:
        from chalicelib.platform.aws import client
        from chalicelib.platform.publisher import EventBridgeBus

        return EventBridgeBus(client("events"), self.settings.event_bus_name)

    @cached_property
    def event_log(self) -> DynamoEventLog:
        from chalicelib.eventlog.repository import DynamoEventLog

        return DynamoEventLog()

    # Tenants
    @cached_property
    def tenant_repository(self) -> DynamoTenantRepository:
        from chalicelib.tenants.repository import DynamoTenantRepository

        return DynamoTenantRepository()

    def tenant(self, tenant_id: str) -> Tenant:
        """What other contexts read of a tenant (their `tenant` port)."""
        return self.tenant_repository.get(tenant_id)

    @cached_property
    def tenants(self) -> TenantDeps:
        from chalicelib.tenants.service import TenantDeps

        environment = "live" if self.settings.stage == "prod" else "test"

        def certificates(tenant_id: str, pfx_base64: str, password: str) -> dict[str, Any]:
            from chalicelib.invoicing.certificates import SecretsManagerCertificateStore, upload_certificate

            return upload_certificate(tenant_id, pfx_base64, password, SecretsManagerCertificateStore(),
                                      self.clock.now(), cnpj=self.tenant(tenant_id).cnpj)

        def provider_ready(tenant_id: str, provider: str) -> None:
            self.payment_provider(provider, tenant_id)  # ProviderNotConfiguredError (409) without its credentials

        from chalicelib import collections as collections_rules  # its module-level checks are the port
        from chalicelib import dunning as dunning_rules

        return TenantDeps(repo=self.tenant_repository, ids=self.ids, clock=self.clock, events=self.events,
                          key_environment=environment, certificates=certificates, provider_ready=provider_ready,
                          collections_rules=collections_rules, dunning_rules=dunning_rules)

    # Stock and catalog
    @cached_property
    def stock_repository(self) -> DynamoStockRepository:
        from chalicelib.stock.repository import DynamoStockRepository

        return DynamoStockRepository()

    @cached_property
    def stock(self) -> StockDeps:
        from chalicelib.stock.service import StockDeps

        return StockDeps(repo=self.stock_repository, ids=self.ids, clock=self.clock, events=self.events)

    @cached_property
    def catalog_repository(self) -> DynamoCatalogRepository:
        from chalicelib.catalog.repository import DynamoCatalogRepository

        return DynamoCatalogRepository()

    @cached_property
    def catalog(self) -> CatalogDeps:
        from chalicelib.catalog.service import CatalogDeps

        return CatalogDeps(repo=self.catalog_repository, ids=self.ids, clock=self.clock, events=self.events,
                           stock=self.stock, tenant=self.tenant)

    def customer(self, tenant_id: str, customer_id: str) -> Customer:
        return self.catalog_repository.get_customer(tenant_id, customer_id)

    def products(self, tenant_id: str, skus: list[str]) -> dict[str, Product]:
        return self.catalog_repository.get_products(tenant_id, skus)

    # Orders
    @cached_property
    def order_repository(self) -> DynamoOrderRepository:
        from chalicelib.orders.repository import DynamoOrderRepository

        return DynamoOrderRepository()

    def order(self, tenant_id: str, order_id: str) -> Order:
        return self.order_repository.get(tenant_id, order_id)

    @cached_property
    def orders(self) -> OrderDeps:
        from chalicelib.orders.service import OrderDeps

        return OrderDeps(repo=self.order_repository, ids=self.ids, clock=self.clock, events=self.events,
                         stock=self.stock, customer=self.customer, products=self.products,
                         invoicing_enabled=lambda tenant_id: self.tenant(tenant_id).settings.invoicing.enabled,
                         check_invoice_cancellable=self._check_invoice_cancellable)

    def _check_invoice_cancellable(self, tenant_id: str, invoice_id: str) -> None:
        from chalicelib.invoicing.model import check_cancellable

        invoice = self.invoice_repository.get(tenant_id, invoice_id)
        if invoice.status == "authorized":
            check_cancellable(invoice, self.clock.now())

    # Invoicing
    @cached_property
    def invoice_repository(self) -> DynamoInvoiceRepository:
        from chalicelib.invoicing.repository import DynamoInvoiceRepository

        return DynamoInvoiceRepository()

    @cached_property
    def local_authority(self) -> FiscalAuthority:
        from chalicelib.invoicing.authority import LocalAuthority

        return LocalAuthority(self.clock)

    def fiscal_authority(self, tenant: Tenant) -> FiscalAuthority:
        """The tenant's fiscal authority: the local one (default), or SEFAZ with the tenant's A1."""
        from chalicelib.platform.errors import InvalidStateError

        authority = tenant.settings.invoicing.authority
        if authority == "local":
            return self.local_authority
        if authority != "sefaz":
            raise InvalidStateError(f"Unknown fiscal authority {authority!r}.")
        from chalicelib.invoicing.certificates import SecretsManagerCertificateStore, signing_key_for
        from chalicelib.invoicing.sefaz import SefazAuthority
        from chalicelib.invoicing.signing import SigningKey

        def signing_key() -> SigningKey:
            key, _source = signing_key_for(tenant.id, tenant.cnpj, tenant.legal_name, SecretsManagerCertificateStore(),
                                           self.clock.now())
            return key

        return SefazAuthority(self.soap_transport, signing_key, tenant.address.state, self.clock)

    @cached_property
    def soap_transport(self) -> SoapTransport:
        """The `sefaz_transport` given, or the real one (mutual TLS with the tenant's A1)."""
        if self.sefaz_transport is not None:
            return self.sefaz_transport
        from chalicelib.invoicing.sefaz import RequestsSoapTransport

        # SEFAZ servers present ICP-Brasil chains that certifi lacks: point SEFAZ_CA_BUNDLE at a bundle with them.
        return RequestsSoapTransport(verify=os.environ.get("SEFAZ_CA_BUNDLE") or True)

    @cached_property
    def invoicing(self) -> InvoicingDeps:
        from chalicelib.invoicing.certificates import SecretsManagerCertificateStore
        from chalicelib.invoicing.documents import S3DocumentStore
        from chalicelib.invoicing.service import InvoicingDeps

        return InvoicingDeps(repo=self.invoice_repository, ids=self.ids, clock=self.clock, events=self.events,
                             authority=self.fiscal_authority, documents=S3DocumentStore(self.settings.documents_bucket),
                             certificates=SecretsManagerCertificateStore(), tenant=self.tenant, order=self.order,
                             customer=self.customer, products=self.products, meter=self.meter)

    # Collections
    @cached_property
    def charge_repository(self) -> DynamoChargeRepository:
        from chalicelib.collections.repository import DynamoChargeRepository

        return DynamoChargeRepository()

    @cached_property
    def provider_credentials(self) -> SecretsManagerCredentialStore:
        from chalicelib.collections.credentials import SecretsManagerCredentialStore

        return SecretsManagerCredentialStore()

    def checkout_url(self, tenant_id: str, charge_id: str) -> str:
        """The sandbox card checkout link. PUBLIC_API_URL is the API's address as clients reach it
        (`make run` prints it; defaults to the local one)."""
        from chalicelib.collections.checkout import token
        from chalicelib.platform.config import public_api_url

        secret = self.charge_repository.webhook_secret(tenant_id, "local")  # created on first use
        if secret is None:
            raise RuntimeError("the local provider's webhook secret could not be created")
        return f"{public_api_url()}/v1/sandbox/checkout/{token(tenant_id, charge_id, secret)}"

    @cached_property
    def payment_providers(self) -> dict[str, PaymentProvider]:
        from chalicelib.collections.providers.local import LocalProvider

        return {"local": LocalProvider(self.checkout_url)}

    def payment_provider(self, name: str, tenant_id: str | None = None) -> PaymentProvider:
        """The provider by name: `local` (built in), or `asaas` with the tenant's credentials."""
        from chalicelib.collections.providers import UnknownProviderError

        if name in self.payment_providers:
            return self.payment_providers[name]
        if name == "asaas" and tenant_id is not None:
            import requests

            from chalicelib.collections.credentials import ProviderNotConfiguredError
            from chalicelib.collections.providers.asaas import AsaasProvider

            credentials = self.provider_credentials.get(tenant_id, "asaas")
            if credentials is None:
                raise ProviderNotConfiguredError("The tenant's provider is asaas but it has no Asaas credentials; "
                                                 "PUT /v1/psp/asaas/credentials first.")
            return AsaasProvider(credentials.api_key, requests.Session(), ASAAS_URLS[credentials.environment])
        raise UnknownProviderError(f"No payment provider '{name}'.")

    @cached_property
    def collections(self) -> ChargeDeps:
        from chalicelib.collections.service import ChargeDeps

        return ChargeDeps(repo=self.charge_repository, ids=self.ids, clock=self.clock, events=self.events,
                          provider=self.payment_provider, tenant=self.tenant, customer=self.customer,
                          order=self.order, credentials=self.provider_credentials)

    # Notifications
    @cached_property
    def notification_repository(self) -> DynamoNotificationRepository:
        from chalicelib.notifications.repository import DynamoNotificationRepository

        return DynamoNotificationRepository()

    @cached_property
    def notification_channels(self) -> Mapping[Channel, ChannelSender]:
        """Email through SES; WhatsApp and SMS recorded until a provider adapter is configured."""
        from chalicelib.notifications.email import RecordingSender, SesEmailSender

        return {"email": SesEmailSender(self.settings.notifications_sender),
                "whatsapp": RecordingSender("whatsapp"), "sms": RecordingSender("sms")}

    @cached_property
    def notifications(self) -> NotificationDeps:
        from chalicelib.notifications.service import NotificationDeps

        return NotificationDeps(repo=self.notification_repository, ids=self.ids, clock=self.clock,
                                channels=self.notification_channels, tenant=self.tenant, customer=self.customer,
                                order=self.order, charge=self.charge, invoice_documents=self.invoice_documents,
                                meter=self.meter)

    def charge(self, tenant_id: str, charge_id: str) -> Charge:
        """The collections context's reader of a charge."""
        return self.charge_repository.get(tenant_id, charge_id)

    def invoice_documents(self, tenant_id: str, invoice_id: str) -> tuple[bytes, bytes]:
        """Invoicing's documents of an authorized NF-e for its recipient: (nfeProc XML, DANFE PDF)."""
        from chalicelib.invoicing.service import authorized_documents

        return authorized_documents(tenant_id, invoice_id, self.invoicing)

    # Dunning
    @cached_property
    def dunning(self) -> DunningDeps:
        from chalicelib.collections import service as charges
        from chalicelib.dunning.repository import DynamoDunningRepository
        from chalicelib.dunning.service import DunningDeps
        from chalicelib.notifications.service import dunning_message
        from chalicelib.tenants.service import update_settings

        return DunningDeps(
            tenant=self.tenant, clock=self.clock, repo=DynamoDunningRepository(), ids=self.ids, events=self.events,
            update_settings=lambda tenant_id, patch: update_settings(tenant_id, patch, self.tenants),
            tenant_ids=self.tenant_ids, customer=self.customer, charge=self.charge,
            charges_due=lambda tenant_id, dates: charges.open_charges_due(tenant_id, dates, self.collections),
            mark_overdue=lambda tenant_id, charge_id: charges.mark_overdue(tenant_id, charge_id, self.collections),
            payable_on=lambda tenant_id, charge, day: charges.payable_on(tenant_id, charge, day, self.collections),
            send=lambda tenant, customer, due, day, channel, template, run_id: dunning_message(
                tenant, customer, due, day, channel, template, run_id, self.notifications),
            future_runs=self.settings.sandbox_enabled)

    def tenant_ids(self) -> Iterator[str]:
        """Every tenant's id (the daily runs)."""
        from chalicelib.platform.pagination import every

        return (tenant.id for tenant in every(lambda cursor: self.tenant_repository.list(100, cursor)))

    # Ledger
    @cached_property
    def ledger_repository(self) -> DynamoLedgerRepository:
        from chalicelib.ledger.repository import DynamoLedgerRepository

        return DynamoLedgerRepository()

    @cached_property
    def ledger(self) -> LedgerDeps:
        from chalicelib.ledger.service import LedgerDeps

        return LedgerDeps(repo=self.ledger_repository, ids=self.ids, clock=self.clock, costs=self.unit_costs)

    def unit_costs(self, tenant_id: str, skus: list[str]) -> dict[str, int]:
        """The catalog's unit cost of each SKU (centavos), what the ledger books a shipment at."""
        return {sku: product.cost_cents for sku, product in self.catalog_repository.get_products(tenant_id, skus).items()}

    # Reconciliation
    @cached_property
    def reconciliation(self) -> ReconciliationDeps:
        from chalicelib.collections import service as charges
        from chalicelib.collections.model import STATEMENT_SOURCE
        from chalicelib.ledger import service as books
        from chalicelib.payables import service as bills
        from chalicelib.reconciliation.repository import DynamoReconciliationRepository
        from chalicelib.reconciliation.service import ReconciliationDeps

        return ReconciliationDeps(
            repo=DynamoReconciliationRepository(), ids=self.ids, clock=self.clock, events=self.events,
            charges=self.charge_repository.get_many, charge_ids_by_our_number=self.charge_repository.ids_by_our_number,
            open_charges_due=lambda tenant_id, dates: charges.open_charges_due(tenant_id, dates, self.collections),
            settle=lambda tenant_id, charge_id, amount, paid_at, method, line_id: charges.record_payment(
                tenant_id, charge_id, amount, paid_at, method, self.collections, source=STATEMENT_SOURCE,
                provider_event_id=line_id),
            bank_ledger_account=lambda tenant_id, name: books.bank_account_code(tenant_id, name, self.ledger),
            postable_accounts=lambda tenant_id: books.postable_accounts(tenant_id, self.ledger),
            ledger_balance=lambda tenant_id, code, day: books.account_balance(tenant_id, code, day, self.ledger),
            open_payables=lambda tenant_id: bills.open_payables(tenant_id, self.payables),
            payable=self.payable,
            pay_payable=lambda tenant_id, payable_id, amount, paid_at, line_id: bills.record_payment(
                tenant_id, payable_id, amount, paid_at, "statement", self.payables, source="statement",
                reference=line_id))

    # Payables
    @cached_property
    def payables(self) -> PayableDeps:
        from chalicelib.ledger import service as books
        from chalicelib.payables.repository import DynamoPayableRepository
        from chalicelib.payables.service import PayableDeps

        return PayableDeps(repo=DynamoPayableRepository(), ids=self.ids, clock=self.clock, events=self.events,
                           supplier=self.supplier,
                           postable_accounts=lambda tenant_id: books.postable_accounts(tenant_id, self.ledger),
                           tenant_ids=self.tenant_ids, provider_of=self.provider_of, bill_payer=self.bill_payer,
                           provider_secret=lambda tenant_id, provider: self.charge_repository.webhook_secret(
                               tenant_id, provider, create=False))

    def provider_of(self, tenant_id: str) -> str:
        """The tenant's payment provider (settings.collections.provider)."""
        return self.tenant(tenant_id).settings.collections.provider

    def bill_payer(self, tenant_id: str) -> BillPayer | None:
        """A real provider's bill payment for the tenant (Asaas with its credentials); None for the local
        provider, which pays on the day's run."""
        name = self.provider_of(tenant_id)
        if name == "local":
            return None
        from chalicelib.collections.providers.asaas import AsaasProvider
        from chalicelib.payables.asaas import AsaasBillPayer

        provider = self.payment_provider(name, tenant_id)
        assert isinstance(provider, AsaasProvider)
        return AsaasBillPayer(provider)

    def payable(self, tenant_id: str, payable_id: str) -> Payable:
        """Payables' reader of a bill, 404 naming `payable_id`."""
        from chalicelib.platform.errors import naming

        with naming("payable_id"):
            return self.payables.repo.get(tenant_id, payable_id)

    # Purchasing
    @cached_property
    def purchasing(self) -> PurchasingDeps:
        from chalicelib.catalog import service as catalog
        from chalicelib.invoicing.documents import S3DocumentStore
        from chalicelib.payables import service as bills
        from chalicelib.platform.pagination import every
        from chalicelib.purchasing.repository import DynamoPurchasingRepository
        from chalicelib.purchasing.service import PurchasingDeps
        from chalicelib.stock import service as stock
        from chalicelib.stock.model import StockLine

        return PurchasingDeps(
            repo=DynamoPurchasingRepository(), ids=self.ids, clock=self.clock, events=self.events,
            documents=S3DocumentStore(self.settings.documents_bucket),
            tenant_document=lambda tenant_id: self.tenant(tenant_id).cnpj, supplier=self.supplier,
            find_supplier=self.catalog_repository.find_supplier_by_document,
            create_supplier=lambda tenant_id, data: catalog.create_supplier(tenant_id, data, self.catalog),
            products=self.catalog_repository.get_products, skus_by_gtin=self.catalog_repository.skus_by_gtin,
            warehouse_exists=lambda tenant_id, code: stock.warehouse_exists(tenant_id, code, self.stock),
            icp_brasil_roots=self.icp_brasil_roots,
            tenant_regime=lambda tenant_id: self.tenant(tenant_id).tax_regime,
            stage_receipts=lambda uow, tenant_id, lines, reference, reason: stock.stage_receipts(
                uow, tenant_id, [StockLine(sku=sku, quantity=quantity, warehouse=warehouse)
                                 for sku, quantity, warehouse in lines], reference, reason, self.stock),
            stage_payables=lambda uow, tenant_id, invoice_id, supplier_id, description, parts: [
                bill.id for bill in bills.stage_from_invoice(uow, tenant_id, invoice_id, supplier_id, description, [
                    bills.InvoiceInstallment(number=n, due_date=part.due_date, amount_cents=part.amount_cents)
                    for n, part in enumerate(parts, start=1)], self.payables)],
            manifest=self._manifest,
            distribute=self._distribute, distribute_one=self._distribute_one, deposit=self._deposit,
            tenant_environment=lambda tenant_id: self.tenant(tenant_id).settings.invoicing.environment,
            tenant_ids=self.tenant_ids,
            all_products=lambda tenant_id: every(
                lambda cursor: self.catalog_repository.list_products(tenant_id, 100, cursor)),
            levels=lambda tenant_id, skus: {sku: level.available for sku, level in
                                            self.stock_repository.get_levels(tenant_id, skus).items()},
            shipped_since=lambda tenant_id, sku, since: stock.shipped_since(tenant_id, sku, since, self.stock),
            lead_time=self._lead_time)

    def _lead_time(self, tenant_id: str, supplier_id: str) -> int | None:
        from chalicelib.platform.errors import NotFoundError

        try:
            return self.catalog_repository.get_supplier(tenant_id, supplier_id).lead_time_days
        except NotFoundError:
            return None

    def _distribute(self, tenant_id: str, last_nsu: str) -> Distribution:
        tenant = self.tenant(tenant_id)
        return self.fiscal_authority(tenant).distribute(tenant.cnpj, tenant.settings.invoicing.environment, last_nsu)

    def _distribute_one(self, tenant_id: str, nsu: str) -> Distribution:
        tenant = self.tenant(tenant_id)
        return self.fiscal_authority(tenant).distribute_one(tenant.cnpj, tenant.settings.invoicing.environment, nsu)

    def _deposit(self, tenant_id: str, xml: bytes) -> tuple[str, str]:
        """The sandbox's supplier NF-e, at the local authority (whatever the tenant's authority)."""
        from chalicelib.invoicing.authority import LocalAuthority

        local = self.local_authority
        assert isinstance(local, LocalAuthority)
        return local.deposit(self.tenant(tenant_id).cnpj, xml)

    def _manifest(self, tenant_id: str, access_key: str, event_type: str, justification: str | None) -> AuthorityAnswer:
        """The tenant's MD-e event through its fiscal authority (local, or SEFAZ's Ambiente Nacional)."""
        tenant = self.tenant(tenant_id)
        return self.fiscal_authority(tenant).manifest(tenant.cnpj, access_key, event_type, justification,
                                                      tenant.settings.invoicing.environment)

    @staticmethod
    def icp_brasil_roots() -> bytes | None:
        """The ICP-Brasil authorities (PEM) a produção NF-e's certificate must chain to: ICP_BRASIL_CA_BUNDLE,
        else SEFAZ_CA_BUNDLE (the same roots); None when neither is set (produção NF-e are then refused)."""
        path = os.environ.get("ICP_BRASIL_CA_BUNDLE") or os.environ.get("SEFAZ_CA_BUNDLE")
        if not path:
            return None
        with open(path, "rb") as bundle:
            return bundle.read()

    def supplier(self, tenant_id: str, supplier_id: str) -> Supplier:
        """The catalog's reader of a supplier, 404 naming `supplier_id`."""
        from chalicelib.platform.errors import naming

        with naming("supplier_id"):
            return self.catalog_repository.get_supplier(tenant_id, supplier_id)

    # Metering
    @cached_property
    def metering(self) -> MeteringDeps:
        from chalicelib.metering.repository import DynamoUsageRepository
        from chalicelib.metering.service import MeteringDeps

        return MeteringDeps(repo=DynamoUsageRepository(), clock=self.clock)

    def meter(self, tenant_id: str, counter: str) -> None:
        """The `meter` port of the contexts that count what they do (never raises)."""
        from chalicelib.metering.service import meter_quietly

        meter_quietly(tenant_id, counter, self.metering)

    # Reports
    @cached_property
    def reports(self) -> ReportDeps:
        from chalicelib.reports.repository import DynamoReportRepository
        from chalicelib.reports.service import ReportDeps

        return ReportDeps(repo=DynamoReportRepository(), clock=self.clock)

    # Webhooks
    @cached_property
    def webhooks(self) -> WebhookDeps:
        from chalicelib.webhooks.repository import DynamoWebhookRepository
        from chalicelib.webhooks.secrets import SecretBox
        from chalicelib.webhooks.sender import HttpSender
        from chalicelib.webhooks.service import WebhookDeps

        local_mode = self.settings.stage == "local"
        return WebhookDeps(repo=DynamoWebhookRepository(), ids=self.ids, clock=self.clock, events=self.events,
                           secrets=SecretBox(self._webhook_key_wrapper()),
                           sender=self.webhook_sender or HttpSender(local_mode), queue=self._webhooks_queue(),
                           event=lambda tenant_id, event_id: self.event_log.get(tenant_id, event_id)[0],
                           events_between=self.event_log.between, local_mode=local_mode)

    def _webhook_key_wrapper(self) -> KeyWrapper:
        """KMS in AWS (WEBHOOKS_KMS_KEY_ID, a key of the stack); a local key elsewhere (WEBHOOKS_LOCAL_KEY,
        which `make run` keeps in .local/data/webhooks.key). A deployed stage without a KMS key refuses."""
        import base64

        from chalicelib.webhooks.secrets import KmsKeyWrapper, LocalKeyWrapper

        if self.settings.webhooks_kms_key_id:
            from chalicelib.platform.aws import client

            return KmsKeyWrapper(client("kms"), self.settings.webhooks_kms_key_id)
        if self.settings.stage in ("dev", "prod") or not self.settings.webhooks_local_key:
            raise RuntimeError("webhook secrets need WEBHOOKS_KMS_KEY_ID (AWS) or WEBHOOKS_LOCAL_KEY (local, tests)")
        return LocalKeyWrapper(base64.b64decode(self.settings.webhooks_local_key))

    def _webhooks_queue(self) -> WorkQueue:
        if self.webhook_queue is not None:
            return self.webhook_queue
        from chalicelib.platform.aws import client
        from chalicelib.platform.resources import DEFINITIONS
        from chalicelib.webhooks.queue import SqsWorkQueue

        url = self.settings.webhooks_queue_url
        if not url:  # local and tests: the queue the definitions name, created by local/provision.py
            name = next(c.queue_name for c in DEFINITIONS.consumers if c.name == "webhooks")
            url = client("sqs").get_queue_url(QueueName=name)["QueueUrl"]
        return SqsWorkQueue(client("sqs"), url)
