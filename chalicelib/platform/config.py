"""Settings, read once per process from the environment (pydantic-settings)."""

from __future__ import annotations

import functools
import os
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL_ADMIN_API_KEY = "rtg_admin_local_development_key"
LOCAL_CURSOR_SECRET = "local-cursor-secret-change-me"


class Settings(BaseSettings):
    """Everything the runtime reads from its environment, in one place."""

    model_config = SettingsConfigDict(env_prefix="", case_sensitive=False, extra="ignore")

    stage: Literal["local", "test", "dev", "prod"] = Field(default="local", alias="RETAGUARDA_STAGE")
    table_name: str = Field(default="retaguarda", alias="TABLE_NAME")
    event_bus_name: str = Field(default="retaguarda", alias="EVENT_BUS_NAME")
    documents_bucket: str = Field(default="retaguarda-documents", alias="DOCUMENTS_BUCKET")
    aws_region: str = Field(default="us-east-1", alias="AWS_DEFAULT_REGION")
    # Endpoints are set only in local mode and in tests; in AWS they stay empty.
    dynamodb_endpoint: str | None = Field(default=None, alias="DYNAMODB_ENDPOINT")
    aws_endpoint: str | None = Field(default=None, alias="AWS_ENDPOINT")
    admin_api_key: str = Field(default=LOCAL_ADMIN_API_KEY, alias="ADMIN_API_KEY")
    # Signs pagination cursors; in AWS it comes from the stack (a generated secret).
    cursor_secret: str = Field(default=LOCAL_CURSOR_SECRET, alias="CURSOR_SECRET")
    max_body_bytes: int = Field(default=1_048_576, alias="MAX_BODY_BYTES")
    idempotency_ttl_hours: int = Field(default=48, alias="IDEMPOTENCY_TTL_HOURS")
    notifications_sender: str = Field(default="no-reply@retaguarda.local", alias="NOTIFICATIONS_SENDER")
    sandbox_enabled: bool = Field(default=True, alias="SANDBOX_ENABLED")
    # NT 2014.002's hour between DF-e queries after nothing new; `make run` may shorten it (DFE_WAIT_SECONDS),
    # for the local authority and our scheduler alike. Anywhere else it is the hour, whatever is set.
    dfe_wait_seconds_local: int = Field(default=3600, ge=1, le=3600, alias="DFE_WAIT_SECONDS")

    @property
    def dfe_wait_seconds(self) -> int:
        return self.dfe_wait_seconds_local if self.stage == "local" else 3600
    # Webhook secrets are sealed under a KMS key in AWS, a local 32-byte key (base64) in `make run` and tests;
    # the webhooks queue's URL in AWS (local/provision.py's queue, by name, elsewhere).
    webhooks_kms_key_id: str | None = Field(default=None, alias="WEBHOOKS_KMS_KEY_ID")
    webhooks_local_key: str | None = Field(default=None, alias="WEBHOOKS_LOCAL_KEY")
    webhooks_queue_url: str | None = Field(default=None, alias="WEBHOOKS_QUEUE_URL")
    # The API's address as clients reach it (links in card-link charges); `make run` sets it.
    public_api_url: str = Field(default="http://127.0.0.1:8000", alias="PUBLIC_API_URL")
    # In AWS without a custom domain: the SSM parameter holding it (see public_api_url()).
    public_api_url_parameter: str | None = Field(default=None, alias="PUBLIC_API_URL_PARAMETER")

    @model_validator(mode="after")
    def _no_local_secrets_in_aws(self) -> Settings:
        # The local defaults are public (README): a deployed function must bring its own. Checked
        # only inside Lambda, since packaging (cdk synth) imports the app with unresolved tokens.
        if self.stage in ("dev", "prod") and os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
            if self.admin_api_key == LOCAL_ADMIN_API_KEY or len(self.admin_api_key) < 32:
                raise ValueError("ADMIN_API_KEY must be set to a secret of at least 32 characters")
            if self.cursor_secret == LOCAL_CURSOR_SECRET or len(self.cursor_secret) < 32:
                raise ValueError("CURSOR_SECRET must be set to a secret of at least 32 characters")
        return self


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()


@functools.lru_cache(maxsize=1)
def public_api_url() -> str:
    """The API's address as clients reach it, without a trailing slash: PUBLIC_API_URL, or the SSM
    parameter the stack writes (read once per process)."""
    settings = get_settings()
    if settings.public_api_url_parameter and "PUBLIC_API_URL" not in os.environ:
        import boto3

        answer = boto3.client("ssm", region_name=settings.aws_region).get_parameter(
            Name=settings.public_api_url_parameter)
        return str(answer["Parameter"]["Value"]).rstrip("/")
    return settings.public_api_url.rstrip("/")
