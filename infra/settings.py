"""Per-stage settings of the deployment (dev, prod), chosen with `-c stage=NAME`.

Everything that differs between stages is here, so the stack itself reads as one shape.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

# The `source` the publisher puts on every event (chalicelib.platform.events.EVENT_SOURCE;
# a test keeps the two equal without making the synth import the domain code).
EVENT_SOURCE = "retaguarda"

# NF-e / NFC-e files must be kept for the tax authority's 5-year period, which counts from the
# first day of the year after the document's: a January document is needed for almost 6 years.
# So current versions expire after 6 years, which keeps every document at least 5.
DOCUMENT_RETENTION_DAYS = 6 * 365 + 2
NONCURRENT_VERSION_DAYS = 30


# Consumers that send e-mail (SES rights, from the stage's sender only); the others get none.
EMAIL_SENDING_CONSUMERS = frozenset({"notifications"})


@dataclass(frozen=True)
class Tier:
    """An API Gateway usage plan: what one tenant's key may send."""

    name: str
    rate_limit: float  # steady requests per second
    burst_limit: int
    quota_per_month: int


TIERS: tuple[Tier, ...] = (
    Tier("free", rate_limit=5, burst_limit=10, quota_per_month=10_000),
    Tier("pro", rate_limit=50, burst_limit=100, quota_per_month=1_000_000),
)


@dataclass(frozen=True)
class FunctionSize:
    memory_mb: int
    timeout_seconds: int


# Memory buys CPU too: the API function gets more so that its cold import is short.
API_SIZE = FunctionSize(512, 29)  # API Gateway gives up after 29 s anyway
AUTHORIZER_SIZE = FunctionSize(256, 10)
PUBLISHER_SIZE = FunctionSize(256, 60)
WORKER_SIZE = FunctionSize(256, 60)
SCHEDULE_SIZE = FunctionSize(256, 300)


@dataclass(frozen=True)
class StageSettings:
    name: str
    retain_data: bool  # RETAIN + deletion protection on the table, the bucket and the secrets
    log_retention_days: int
    notifications_sender: str
    alarm_email: str | None = None
    publisher_max_retries: int = 10
    # Secrets reach the functions through CloudFormation dynamic references, resolved when a
    # function is updated: after rotating one, deploy with `-c secrets_version=N+1` to re-read it.
    secrets_version: str = "1"
    # The API's public address when it has a custom domain (checkout links, e-mails); without one, the
    # functions read the execute-api URL from an SSM parameter the stack writes (a function cannot name
    # the API in its environment: the API names the function, a circular dependency).
    public_api_url: str | None = None

    @property
    def prefix(self) -> str:
        """Physical names and the secrets path: 'retaguarda-prod', 'retaguarda/prod/'."""
        return f"retaguarda-{self.name}"

    @property
    def secrets_prefix(self) -> str:
        return f"retaguarda/{self.name}/"

    @property
    def public_api_url_parameter(self) -> str:
        return f"/retaguarda/{self.name}/public-api-url"


STAGES: dict[str, StageSettings] = {
    "dev": StageSettings("dev", retain_data=False, log_retention_days=14,
                         notifications_sender="no-reply@dev.retaguarda.dev"),
    "prod": StageSettings("prod", retain_data=True, log_retention_days=90,
                          notifications_sender="no-reply@retaguarda.dev"),
}


def stage_from_context(get_context: Any) -> StageSettings:
    """The stage named by `-c stage=NAME` (default dev), with optional context overrides:
    `-c notifications_sender=no-reply@example.com`, `-c alarm_email=ops@example.com`,
    `-c secrets_version=2`, `-c public_api_url=https://api.example.com`."""
    name = get_context("stage") or "dev"
    if name not in STAGES:
        raise ValueError(f"unknown stage {name!r}: choose one of {sorted(STAGES)} with -c stage=NAME")
    settings = STAGES[name]
    keys = ("notifications_sender", "alarm_email", "secrets_version", "public_api_url")
    overrides = {key: str(get_context(key)) for key in keys if get_context(key)}
    return replace(settings, **overrides)
