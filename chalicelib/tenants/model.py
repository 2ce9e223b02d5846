"""Tenant, its settings and API keys: pure rules, no I/O."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from chalicelib.brazil.documents import Cnpj
from chalicelib.brazil.places import Address
from chalicelib.brazil.taxes import TaxRules
from chalicelib.platform.auth import ALL_SCOPES
from chalicelib.platform.money import Percent
from chalicelib.platform.text import PRINTABLE, Email

TaxRegime = Literal["simples_nacional", "simples_nacional_excesso", "regime_normal", "mei"]
# NF-e CRT (código de regime tributário) per tax regime.
CRT = {"simples_nacional": "1", "simples_nacional_excesso": "2", "regime_normal": "3", "mei": "4"}

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60, pattern=PRINTABLE)]
StateRegistration = Annotated[str, StringConstraints(pattern=r"^(ISENTO|\d{2,14})$")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CertificateInfo(Strict):
    """What is known about the A1 certificate; the key itself lives in Secrets Manager."""

    source: Literal["uploaded", "test"]
    subject: str
    not_after: str
    fingerprint_sha256: str
    secret_ref: str | None = None


class InvoicingSettings(Strict):
    enabled: bool = True
    series: int = Field(default=1, ge=0, le=999)
    environment: Literal["homologacao", "producao"] = "homologacao"
    authority: Literal["local", "sefaz"] = "local"
    certificate: CertificateInfo | None = None
    tax: TaxRules = Field(default_factory=lambda: TaxRules())

    @field_validator("tax", mode="before")
    @classmethod
    def _no_tax_rules_means_the_regime_default(cls, value: Any) -> Any:
        return {} if value is None else value


class CollectionsSettings(Strict):
    provider: Literal["local", "asaas"] = "local"
    bank_code: Annotated[str, StringConstraints(pattern=r"^\d{3}$")] = "001"
    agency: Annotated[str, StringConstraints(pattern=r"^\d{1,5}$")] = "1234"
    account: Annotated[str, StringConstraints(pattern=r"^\d{1,12}$")] = "123456"
    # Banco do Brasil, carteira 17, convênio of 7 digits: the documented local test agreement.
    agreement: Annotated[str, StringConstraints(pattern=r"^\d{1,20}$")] = Field(
        default="1234567", description="The bank agreement (convênio); its length must fit a boleto layout of the bank.")
    pix_key: Annotated[str, StringConstraints(min_length=1, max_length=77)] | None = Field(default=None, description=(
        "A DICT key: CPF, CNPJ, lower-case e-mail, +55 phone (E.164) or lower-case EVP uuid."))
    fine_percent: Percent = Decimal("2")
    interest_monthly_percent: Percent = Decimal("1")

    # Which banks, agreements and Pix keys work is the collections context's knowledge (its layout table
    # and the DICT formats): the tenants service hands it in as validation context (`CollectionsRules`, from
    # TenantDeps), so this upstream context never imports collections. Without it (settings read back from
    # storage, defaults built here) only the shapes are judged, so a rule made stricter never makes a
    # stored tenant unreadable.
    @field_validator("bank_code")
    @classmethod
    def _bank_has_a_boleto_layout(cls, value: str, info: Any) -> str:
        rules = collections_rules(info)
        return value if rules is None else rules.check_bank_code(value)

    @field_validator("agreement")
    @classmethod
    def _agreement_fits_a_layout_of_the_bank(cls, value: str, info: Any) -> str:
        rules = collections_rules(info)
        bank_code = info.data.get("bank_code")  # absent when bank_code itself failed (reported there)
        if bank_code is None or rules is None:
            return value
        return rules.check_agreement(value, bank_code)

    @field_validator("pix_key")
    @classmethod
    def _pix_key_is_a_dict_key(cls, value: str | None, info: Any) -> str | None:
        rules = collections_rules(info)
        if value is None or rules is None:
            return value
        return rules.check_pix_key(value)


class CollectionsRules(Protocol):
    """Port: the collections context's judgement of its settings; each check returns the value or raises
    ValueError with the field's message (pydantic's validator convention)."""

    def check_bank_code(self, bank_code: str) -> str: ...
    def check_agreement(self, agreement: str, bank_code: str) -> str: ...
    def check_pix_key(self, key: str) -> str: ...


def collections_rules(info: Any) -> CollectionsRules | None:
    """The rules a validation was given (`context={"collections_rules": ...}`), unless it reads stored settings."""
    context = info.context or {}
    return None if context.get("stored") else context.get("collections_rules")


class DunningStep(Strict):
    offset_days: int = Field(ge=-60, le=365)
    channel: Literal["email"] = "email"
    template: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,40}$")]


class DunningPolicy(Strict):
    steps: list[DunningStep] = Field(default_factory=lambda: [
        DunningStep(offset_days=-10, template="upcoming"),
        DunningStep(offset_days=0, template="due_today"),
        DunningStep(offset_days=1, template="overdue"),
        DunningStep(offset_days=8, template="overdue_reminder"),
        DunningStep(offset_days=15, template="overdue_reminder"),
    ], max_length=20)
    fine_percent: Percent = Decimal("2")
    interest_monthly_percent: Percent = Decimal("1")

    @field_validator("steps")
    @classmethod
    def _distinct_offsets(cls, steps: list[DunningStep]) -> list[DunningStep]:
        offsets = [(s.offset_days, s.channel) for s in steps]
        if len(offsets) != len(set(offsets)):
            raise ValueError("two steps share the same offset_days and channel")
        return sorted(steps, key=lambda s: s.offset_days)


class NotificationsSettings(Strict):
    """What the tenant's customers receive by email on their own (dunning steps have their policy)."""

    invoice_email: bool = Field(default=True, description="Email the NF-e (DANFE and XML) to the customer "
                                                          "when it is authorized.")
    charge_email: bool = Field(default=True, description="Email each new charge to the payer with what pays it.")


class ReportsSettings(Strict):
    recipients: list[Email] = Field(default_factory=list, max_length=20)


class TenantSettings(Strict):
    invoicing: InvoicingSettings = Field(default_factory=InvoicingSettings)
    collections: CollectionsSettings = Field(default_factory=CollectionsSettings)
    dunning: DunningPolicy = Field(default_factory=DunningPolicy)
    notifications: NotificationsSettings = Field(default_factory=NotificationsSettings)
    reports: ReportsSettings = Field(default_factory=ReportsSettings)


class Tenant(Strict):
    id: str
    name: Name
    legal_name: Name
    cnpj: Cnpj
    state_registration: StateRegistration
    email: Email
    tax_regime: TaxRegime
    address: Address
    created_at: str
    settings: TenantSettings
    version: int = 1


class ApiKey(Strict):
    id: str
    name: str
    scopes: list[str]
    prefix: str
    created_at: str
    revoked_at: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def default_settings(cnpj: str, email: str) -> TenantSettings:
    """A new tenant works end to end: local authority, local provider, Pix key = CNPJ."""
    return TenantSettings(collections=CollectionsSettings(pix_key=cnpj),
                          reports=ReportsSettings(recipients=[email]))


def merge(current: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """JSON merge patch (RFC 7396) restricted to objects: a null removes an optional value."""
    merged = dict(current)
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def validate_scopes(scopes: list[str]) -> list[str]:
    unknown = [s for s in scopes if s not in ALL_SCOPES]
    if unknown:
        raise ValueError(f"unknown scopes: {', '.join(unknown)}; use '*' or <area>:read|write")
    return sorted(set(scopes))
