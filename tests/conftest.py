"""Shared fixtures. The environment is set before any application module is imported."""

from __future__ import annotations

import os

os.environ.update({
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    "RETAGUARDA_STAGE": "test", "TABLE_NAME": "retaguarda-test", "ADMIN_API_KEY": "test-admin-key",
    "POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_DEV": "false",
})
for name in ("DYNAMODB_ENDPOINT", "AWS_ENDPOINT"):
    os.environ.pop(name, None)

from collections.abc import Iterator  # noqa: E402

import pytest  # noqa: E402
from moto import mock_aws  # noqa: E402

ADMIN = {"Authorization": "Bearer test-admin-key"}


@pytest.fixture
def aws() -> Iterator[None]:
    """moto in-process, with every resource created from the definitions module."""
    from chalicelib import bootstrap
    from chalicelib.platform.aws import client, reset_clients
    from chalicelib.platform.config import get_settings
    from chalicelib.platform.dynamo import configure_table
    from local.provision import provision

    with mock_aws():
        reset_clients()
        bootstrap.reset()
        configure_table(get_settings().table_name, host=None)
        provision(get_settings(), client)
        yield
        reset_clients()
        bootstrap.reset()
