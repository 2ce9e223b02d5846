"""Settings, read once per process from the environment (pydantic-settings)."""

from __future__ import annotations

import functools
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

LOCAL_ADMIN_API_KEY = "rtg_admin_local_development_key"


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
    cursor_secret: str = Field(default="local-cursor-secret-change-me", alias="CURSOR_SECRET")
    max_body_bytes: int = Field(default=1_048_576, alias="MAX_BODY_BYTES")
    idempotency_ttl_hours: int = Field(default=48, alias="IDEMPOTENCY_TTL_HOURS")
    notifications_sender: str = Field(default="no-reply@retaguarda.local", alias="NOTIFICATIONS_SENDER")
    sandbox_enabled: bool = Field(default=True, alias="SANDBOX_ENABLED")


@functools.lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
