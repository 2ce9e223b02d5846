"""Shared fixtures. The environment is set before any application module is imported."""

from __future__ import annotations

import os

os.environ.update({
    "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1", "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
    "RETAGUARDA_STAGE": "test", "TABLE_NAME": "retaguarda-test", "ADMIN_API_KEY": "test-admin-key",
    "POWERTOOLS_LOG_LEVEL": "WARNING", "POWERTOOLS_DEV": "false",
    "WEBHOOKS_LOCAL_KEY": "dGVzdHMnIHdlYmhvb2sgbWFzdGVyIGtleSwgMzJieXQ=",
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
    from chalicelib.platform.aws import client, reset_clients
    from chalicelib.platform.config import get_settings
    from chalicelib.platform.dynamo import configure_table
    from local.provision import provision
    from tests.deps import fresh

    with mock_aws():
        reset_clients()
        fresh()
        configure_table(get_settings().table_name, host=None)
        provision(get_settings(), client)
        if os.environ.get("RETAGUARDA_TEST_TABLE") == "memory":  # the whole suite over the in-memory table
            from chalicelib.platform.dynamo import use_memory_table
            use_memory_table()
        yield
        reset_clients()
        fresh()


@pytest.fixture
def memory_table() -> Iterator[object]:
    """Every record class pointed at a fresh in-memory table (platform/memory.py); moto for the other services."""
    from chalicelib.platform.aws import reset_clients
    from chalicelib.platform.config import get_settings
    from chalicelib.platform.dynamo import configure_table, use_memory_table
    from tests.deps import fresh

    with mock_aws():
        reset_clients()
        fresh()
        table = use_memory_table()
        try:
            yield table
        finally:
            configure_table(get_settings().table_name, host=None)
            reset_clients()
            fresh()


@pytest.fixture(scope="session")
def dynamodb_local_endpoint() -> Iterator[str]:
    """DynamoDB Local in memory for the whole session (skipped where there is no Java)."""
    from local.services import dynamodb_local_available, free_port, start_dynamodb_local, stop

    if not dynamodb_local_available():
        if os.environ.get("CI"):
            pytest.fail("DynamoDB Local is required in CI: run `make install` with Java 17")
        pytest.skip("DynamoDB Local is not installed (needs Java 17 and `make install`)")
    port = free_port()
    process = start_dynamodb_local(port, None)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


@pytest.fixture
def ddb_local(dynamodb_local_endpoint: str) -> Iterator[str]:
    """Every record class pointed at a fresh table in DynamoDB Local; moto for the other services."""
    import uuid

    import boto3

    from chalicelib.platform.aws import reset_clients
    from chalicelib.platform.config import get_settings
    from chalicelib.platform.dynamo import configure_table
    from chalicelib.platform.resources import table_definition
    from tests.deps import fresh

    table = f"retaguarda-{uuid.uuid4().hex[:8]}"
    dynamodb = boto3.client("dynamodb", endpoint_url=dynamodb_local_endpoint, region_name="us-east-1")
    dynamodb.create_table(**table_definition(table))
    reset_clients()
    fresh()
    configure_table(table, host=dynamodb_local_endpoint)
    try:
        yield table
    finally:
        configure_table(get_settings().table_name, host=None)
        dynamodb.delete_table(TableName=table)
        reset_clients()
        fresh()

