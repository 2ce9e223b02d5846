"""boto3 clients, made once per process, pointed at `AWS_ENDPOINT` locally."""

from __future__ import annotations

import functools
from typing import Any

import boto3
from botocore.config import Config

from chalicelib.platform.config import get_settings


@functools.cache
def client(service: str) -> Any:
    settings = get_settings()
    endpoint = settings.dynamodb_endpoint if service in ("dynamodb", "dynamodbstreams") else settings.aws_endpoint
    return boto3.client(service, region_name=settings.aws_region, endpoint_url=endpoint,
                        config=Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=2, read_timeout=10))


def reset_clients() -> None:
    client.cache_clear()
