"""A tenant's credentials at a real payment provider (Asaas's API key): kept in Secrets Manager under
`retaguarda/<stage>/<tenant>/psp-<provider>`, never returned by the API (only the key's last 4)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Literal, Protocol

from chalicelib.platform.aws import client
from chalicelib.platform.config import get_settings
from chalicelib.platform.errors import ConflictError

ProviderEnvironment = Literal["sandbox", "production"]


@dataclass(frozen=True)
class ProviderCredentials:
    api_key: str = field(repr=False)  # never in a log line or a traceback
    environment: ProviderEnvironment
    updated_at: str

    @property
    def api_key_last4(self) -> str:
        return self.api_key[-4:]


class ProviderNotConfiguredError(ConflictError):
    """The tenant chose a provider it has not given its credentials for."""

    code = "provider_not_configured"


class CredentialStore(Protocol):
    def get(self, tenant_id: str, provider: str) -> ProviderCredentials | None: ...
    def put(self, tenant_id: str, provider: str, credentials: ProviderCredentials) -> None: ...


class SecretsManagerCredentialStore:
    def _name(self, tenant_id: str, provider: str) -> str:
        return f"retaguarda/{get_settings().stage}/{tenant_id}/psp-{provider}"

    def get(self, tenant_id: str, provider: str) -> ProviderCredentials | None:
        secrets = client("secretsmanager")
        try:
            value = json.loads(secrets.get_secret_value(SecretId=self._name(tenant_id, provider))["SecretString"])
        except secrets.exceptions.ResourceNotFoundException:
            return None
        return ProviderCredentials(value["api_key"], value["environment"], value["updated_at"])

    def put(self, tenant_id: str, provider: str, credentials: ProviderCredentials) -> None:
        secrets = client("secretsmanager")
        value = json.dumps({"api_key": credentials.api_key, "environment": credentials.environment,
                            "updated_at": credentials.updated_at})
        name = self._name(tenant_id, provider)
        try:
            secrets.create_secret(Name=name, SecretString=value)
        except secrets.exceptions.ResourceExistsException:
            secrets.put_secret_value(SecretId=name, SecretString=value)
