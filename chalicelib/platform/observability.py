"""Powertools Logger (JSON lines with tenant id and request id) and Metrics."""

from __future__ import annotations

from aws_lambda_powertools import Logger

logger = Logger(service="retaguarda")
