"""chalice local's API Gateway, with the same problem+json gateway responses as infra/.

Chalice's local gateway answers missing keys, denied authorizations and unknown routes
with API Gateway's default bodies. In AWS, infra/ replaces those with GatewayResponses
built from `chalicelib.platform.gateway`; this subclass applies the same table locally,
for `make run` and for the tests' HTTP client.
"""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from typing import Any

from chalice.app import Chalice
from chalice.config import Config
from chalice.local import (
    ChaliceRequestHandler,
    CustomLocalChalice,
    ForbiddenError,
    LocalChalice,
    LocalDevServer,
    LocalGateway,
    LocalGatewayException,
    NotAuthorizedError,
    ThreadedHTTPServer,
)
from chalice.test import Client, TestHTTPClient

from chalicelib.platform.gateway import problem_body

PROBLEM_HEADERS = {"Content-Type": "application/problem+json"}


class ProblemGatewayError(LocalGatewayException):
    def __init__(self, response_type: str) -> None:
        body = problem_body(response_type)
        self.CODE = body["status"]
        super().__init__(dict(PROBLEM_HEADERS), json.dumps(body).encode())


def _response_type(error: LocalGatewayException) -> str | None:
    if isinstance(error, NotAuthorizedError):
        return "UNAUTHORIZED"
    if isinstance(error, ForbiddenError):
        text = (error.body or b"").decode("utf-8", "replace")
        return "MISSING_AUTHENTICATION_TOKEN" if "Authentication Token" in text or "Credential" in text \
            else "ACCESS_DENIED"
    return None


class ProblemGateway(LocalGateway):
    def handle_request(self, method: str, path: str, headers: dict[str, str], body: bytes | None) -> dict[str, Any]:
        try:
            response = super().handle_request(method, path, headers, body)
        except LocalGatewayException as error:
            response_type = _response_type(error)
            if response_type is None:
                raise
            raise ProblemGatewayError(response_type) from None
        return response


class BackloggedServer(ThreadedHTTPServer):
    """socketserver listens with a backlog of 5: a burst of concurrent clients (a load test, a partner's
    batch) got connection resets before a thread could accept them. API Gateway queues far more."""

    request_queue_size = 512


class ProblemRequestHandler(ChaliceRequestHandler):
    def __init__(self, request: Any, client_address: Any, server: Any, app_object: Chalice, config: Config) -> None:
        self.local_gateway = ProblemGateway(app_object, config)
        BaseHTTPRequestHandler.__init__(self, request, client_address, server)  # type: ignore[arg-type]


def create_server(app: Chalice, host: str, port: int, stage: str = "dev") -> LocalDevServer:
    """chalice local's dev server (thread-safe app proxy included) with problem+json gateway errors."""
    CustomLocalChalice.__bases__ = (LocalChalice, app.__class__)
    app.__class__ = CustomLocalChalice
    config = Config.create(chalice_stage=stage, app_name=app.app_name)
    return LocalDevServer(app, config, host, port, handler_cls=ProblemRequestHandler, server_cls=BackloggedServer)


def test_client(app: Chalice) -> Client:
    """chalice.test.Client whose HTTP side goes through the problem+json gateway."""
    client = Client(app)
    http = TestHTTPClient(app, client._chalice_config)
    http._local_gateway = ProblemGateway(app, client._chalice_config)
    client._http_client = http
    return client
