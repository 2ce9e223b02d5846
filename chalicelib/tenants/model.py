"""Tenant, its settings and API keys: pure rules, no I/O."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

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
    fine_percent: Percent = Field(default=Decimal("2"), description=(
        "The late fine every payer is charged, at most 2% (consumers: CDC art. 52 §1º); business payers are "
        "charged `b2b_fine_percent` instead when it is set."))
    b2b_fine_percent: Percent | None = Field(default=None, description=(
        "The fine agreed with business (CNPJ) payers, at most 10% (Decreto 22.626/1933); null: `fine_percent`."))
    interest_monthly_percent: Percent = Field(default=Decimal("1"), description=(
        "Interest a month, pro rata per calendar day late."))

    @field_validator("fine_percent")
    @classmethod
    def _consumer_fine_cap(cls, value: Decimal, info: Any) -> Decimal:
        if (info.context or {}).get("stored") or value <= CONSUMER_FINE_CAP:
            return value
        raise ValueError("must be at most 2: consumers' late fine is capped at 2% (CDC art. 52 §1º); "
                         "set b2b_fine_percent for business payers")

    @field_validator("b2b_fine_percent")
    @classmethod
    def _b2b_fine_cap(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and value > B2B_FINE_CAP:
            raise ValueError("must be at most 10 (Decreto 22.626/1933, art. 9º)")
        return value

    def fine_for(self, payer_is_consumer: bool) -> Decimal:
        """The fine a new charge carries for its payer."""
        if payer_is_consumer or self.b2b_fine_percent is None:
            return self.fine_percent
        return self.b2b_fine_percent

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


class DunningRules(Protocol):
    """Port: the dunning context's judgement of a step's template (returns it or raises ValueError)."""

    def check_template(self, template: str) -> str: ...


def dunning_rules(info: Any) -> DunningRules | None:
    context = info.context or {}
    return None if context.get("stored") else context.get("dunning_rules")


class DunningStep(Strict):
    offset_days: int = Field(ge=-30, le=180, description="Days from the due date (negative: before it).")
    channel: Literal["email", "whatsapp", "sms"] = "email"
    template: Annotated[str, StringConstraints(pattern=r"^[a-z0-9_]{1,40}$")] = Field(description=(
        "One of the built-in pt-BR templates (`GET /v1/dunning-templates`)."))

    @field_validator("template")
    @classmethod
    def _a_built_in_template(cls, value: str, info: Any) -> str:
        rules = dunning_rules(info)
        return value if rules is None else rules.check_template(value)


def _default_steps() -> list[DunningStep]:
    return [DunningStep(offset_days=offset, channel=channel, template=template)  # type: ignore[arg-type]
            for offset, channel, template in ((-3, "email", "upcoming"), (0, "email", "due_today"),
                                              (1, "whatsapp", "overdue"), (7, "email", "overdue_reminder"),
                                              (15, "email", "overdue_reminder"), (30, "email", "final_notice"))]


class DunningPolicy(Strict):
    """The régua: the steps. Its fine and interest are the collections terms (`settings.collections`),
    stored once; `GET /v1/dunning-policy` shows them together."""

    steps: list[DunningStep] = Field(default_factory=_default_steps, max_length=20)

    @model_validator(mode="before")
    @classmethod
    def _terms_live_in_collections(cls, value: Any, info: Any) -> Any:
        # Policies stored before the terms had one home carried their own fine and interest: dropped on
        # read (the collections terms were the ones charges used).
        if isinstance(value, dict) and (info.context or {}).get("stored"):
            return {k: v for k, v in value.items() if k not in LATE_TERMS}
        return value

    @field_validator("steps")
    @classmethod
    def _distinct_offsets(cls, steps: list[DunningStep]) -> list[DunningStep]:
        offsets = [s.offset_days for s in steps]
        if len(offsets) != len(set(offsets)):
            raise ValueError("two steps share the same offset_days: each day from the due date takes one step")
        return sorted(steps, key=lambda s: s.offset_days)


# The late terms, one home: settings.collections. The dunning policy shows and sets them.
LATE_TERMS = ("fine_percent", "b2b_fine_percent", "interest_monthly_percent")
CONSUMER_FINE_CAP = Decimal("2")  # CDC art. 52 §1º
B2B_FINE_CAP = Decimal("10")  # Decreto 22.626/1933 art. 9º


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
