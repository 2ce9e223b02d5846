"""HTTP routes of the tenants context: onboarding (admin), the tenant's own profile,
settings and API keys."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StringConstraints

from chalicelib.brazil.documents import Cnpj
from chalicelib.brazil.places import Address
from chalicelib.brazil.taxes import TaxRules
from chalicelib.platform.errors import NotFoundError
from chalicelib.platform.http import Api, Call, Result
from chalicelib.platform.ids import is_id
from chalicelib.platform.money import Percent
from chalicelib.platform.pagination import ListQuery, page_body
from chalicelib.platform.text import PRINTABLE, Email
from chalicelib.tenants import service
from chalicelib.tenants.model import (
    LATE_TERMS,
    ApiKey,
    DunningPolicy,
    DunningStep,
    Name,
    StateRegistration,
    TaxRegime,
    Tenant,
    TenantSettings,
)
from chalicelib.tenants.service import TenantDeps

api: Api[TenantDeps] = Api(__name__, tag="Tenants")


class CreateTenantRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    legal_name: Name
    cnpj: Cnpj
    state_registration: StateRegistration
    email: Email
    tax_regime: TaxRegime
    address: Address


class DunningPolicyView(DunningPolicy):
    """The policy with its late terms, which are stored once, in `settings.collections`."""

    fine_percent: Percent
    b2b_fine_percent: Percent | None = None
    interest_monthly_percent: Percent


class SettingsResponse(TenantSettings):
    dunning: DunningPolicyView  # the stored policy, with its terms


class TenantResponse(BaseModel):
    id: str
    name: str
    legal_name: str
    cnpj: str
    state_registration: str
    email: str
    tax_regime: TaxRegime
    address: Address
    created_at: str
    settings: SettingsResponse


class TenantCreatedResponse(TenantResponse):
    api_key: str = Field(description="Full-access key for the new tenant. Shown once; store it now.")
    api_key_id: str


class TenantListResponse(BaseModel):
    data: list[TenantResponse]
    next_cursor: str | None


class CertificateUpload(BaseModel):
    """An A1 certificate (PKCS#12, .pfx/.p12): kept in Secrets Manager, never returned."""

    model_config = ConfigDict(extra="forbid")

    pfx_base64: Annotated[str, StringConstraints(min_length=16, max_length=60_000)]
    password: Annotated[str, StringConstraints(max_length=256)]


class InvoicingPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    certificate: CertificateUpload | None = None
    enabled: bool | None = None
    series: StrictInt | None = Field(default=None, ge=0, le=999)
    environment: Literal["homologacao", "producao"] | None = None
    authority: Literal["local", "sefaz"] | None = None
    tax: TaxRules | None = Field(default=None, description=(
        "The tenant's NF-e tax profile over its regime's default; fields merge, a null one goes back to the "
        "default. Products may override it with their own `tax`."))


class CollectionsPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    provider: Literal["local", "asaas"] | None = None
    bank_code: Annotated[str, StringConstraints(pattern=r"^\d{3}$")] | None = None
    agency: Annotated[str, StringConstraints(pattern=r"^\d{1,5}$")] | None = None
    account: Annotated[str, StringConstraints(pattern=r"^\d{1,12}$")] | None = None
    agreement: Annotated[str, StringConstraints(pattern=r"^\d{1,20}$")] | None = Field(default=None, description=(
        "The bank agreement (convênio). Together with `bank_code` it must fit a boleto layout (Banco do Brasil: "
        "7 or 8 digits); 400 naming `collections.bank_code` or `collections.agreement` otherwise."))
    pix_key: Annotated[str, StringConstraints(min_length=1, max_length=77)] | None = Field(default=None, description=(
        "A DICT key as written in the BR Code: CPF (11 digits) or CNPJ (14) with valid check digits, lower-case "
        "e-mail, phone as `+55` and 10 or 11 digits, or lower-case EVP uuid; 400 naming `collections.pix_key` "
        "otherwise."))
    fine_percent: Percent | None = Field(default=None, description=(
        "The late fine, at most 2% (the consumers' cap, CDC art. 52 §1º); business payers: `b2b_fine_percent`."))
    b2b_fine_percent: Percent | None = Field(default=None, description=(
        "The fine agreed with business (CNPJ) payers, at most 10%; null goes back to `fine_percent`."))
    interest_monthly_percent: Percent | None = None


class DunningPatch(BaseModel):
    """The dunning policy: its steps (replaced as a whole when sent) and its late terms, which are the
    collections terms (one setting, shown in both places)."""

    model_config = ConfigDict(extra="forbid")

    steps: list[DunningStep] | None = Field(default=None, max_length=20)
    fine_percent: Percent | None = None
    b2b_fine_percent: Percent | None = None
    interest_monthly_percent: Percent | None = None


class NotificationsPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    invoice_email: StrictBool | None = Field(default=None, description=(
        "Email the authorized NF-e (DANFE and XML) to the customer (default true)."))
    charge_email: StrictBool | None = Field(default=None, description=(
        "Email each new charge to its payer with the boleto, the Pix or the card link (default true)."))


class ReportsPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    recipients: list[Email] | None = None


class UpdateSettingsRequest(BaseModel):
    """Every part optional; what is sent is merged into the current settings."""

    model_config = ConfigDict(extra="forbid")

    invoicing: InvoicingPatch | None = None
    collections: CollectionsPatch | None = None
    dunning: DunningPatch | None = None
    notifications: NotificationsPatch | None = None
    reports: ReportsPatch | None = None


Scope = Annotated[str, StringConstraints(min_length=1, max_length=40)]


class CreateApiKeyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=PRINTABLE)]
    scopes: list[Scope] = Field(min_length=1, max_length=20)


class ApiKeyResponse(BaseModel):
    id: str
    name: str
    scopes: list[str]
    prefix: str
    created_at: str
    revoked_at: str | None = None


class ApiKeyCreatedResponse(ApiKeyResponse):
    key: str = Field(description="The secret. Shown once; only its SHA-256 is stored.")


class ApiKeyListResponse(BaseModel):
    data: list[ApiKeyResponse]
    next_cursor: str | None


def _tenant(tenant: Tenant) -> dict[str, Any]:
    body = tenant.model_dump(mode="json", exclude={"version"})
    terms = body["settings"]["collections"]
    body["settings"]["dunning"].update({term: terms.get(term) for term in LATE_TERMS})
    return body


def _key(key: ApiKey) -> dict[str, Any]:
    return key.model_dump(mode="json")


@api.route_spec("/v1/tenants", "POST", auth="admin", request=CreateTenantRequest,
                response=TenantCreatedResponse, status=201, extra_statuses=(409,))
def create_tenant(call: Call[TenantDeps]) -> Result:
    """Create a tenant (admin)
    Onboards a company with default settings that work end to end, and returns its
    first, full-access API key once."""
    body: CreateTenantRequest = call.body
    cmd = service.NewTenant(**body.model_dump(mode="json"))
    tenant, key, secret = service.create_tenant(cmd, call.deps)
    return Result({**_tenant(tenant), "api_key": secret, "api_key_id": key.id}, status=201)


@api.route_spec("/v1/tenants", auth="admin", query=ListQuery, response=TenantListResponse)
def list_tenants(call: Call[TenantDeps]) -> Result:
    """List tenants (admin), newest first"""
    page = call.deps.repo.list(call.query.limit, call.query.cursor)
    return Result(page_body(page, _tenant))


@api.route_spec("/v1/tenants/{tenant_id}", auth="admin", response=TenantResponse, extra_statuses=(404,))
def get_tenant(call: Call[TenantDeps], tenant_id: str) -> Result:
    """Get a tenant (admin)"""
    if not is_id(tenant_id, "ten"):
        raise NotFoundError(f"No tenant {tenant_id}.")
    return Result(_tenant(call.deps.repo.get(tenant_id)))


@api.route_spec("/v1/tenant", scope="settings:read", response=TenantResponse)
def get_current_tenant(call: Call[TenantDeps]) -> Result:
    """Get the calling tenant, with its settings"""
    return Result(_tenant(call.deps.repo.get(call.tenant_id)))


@api.route_spec("/v1/tenant/settings", "PATCH", scope="settings:write", request=UpdateSettingsRequest,
                response=TenantResponse, extra_statuses=(409,))
def update_settings(call: Call[TenantDeps]) -> Result:
    """Update the tenant's settings
    Fiscal, collection, dunning, customer notification and report settings. Parts that are sent are merged into
    the current settings; the result is validated as a whole."""
    body: UpdateSettingsRequest = call.body
    patch = body.model_dump(mode="json", exclude_unset=True)
    tenant = service.update_settings(call.tenant_id, patch, call.deps)
    return Result(_tenant(tenant))


@api.route_spec("/v1/api-keys", "POST", scope="settings:write", request=CreateApiKeyRequest,
                response=ApiKeyCreatedResponse, status=201)
def create_api_key(call: Call[TenantDeps]) -> Result:
    """Create an API key
    Scopes are `*` or `<area>:read` / `<area>:write`; a key can only grant scopes its
    creator holds. The secret is shown once."""
    body: CreateApiKeyRequest = call.body
    assert call.principal is not None
    key, secret = service.create_api_key(call.principal, body.name, body.scopes, call.deps)
    return Result({**_key(key), "key": secret}, status=201)


@api.route_spec("/v1/api-keys", scope="settings:read", query=ListQuery, response=ApiKeyListResponse)
def list_api_keys(call: Call[TenantDeps]) -> Result:
    """List API keys (never their secrets), newest first"""
    page = call.deps.repo.list_keys(call.tenant_id, call.query.limit, call.query.cursor)
    return Result(page_body(page, _key))


@api.route_spec("/v1/api-keys/{key_id}", "DELETE", scope="settings:write", response=ApiKeyResponse,
                extra_statuses=(404, 409))
def revoke_api_key(call: Call[TenantDeps], key_id: str) -> Result:
    """Revoke an API key
    From the next request on, the key answers 401."""
    return Result(_key(service.revoke_api_key(call.tenant_id, key_id, call.deps)))

