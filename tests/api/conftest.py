from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import ADMIN


class Http:
    """JSON helper over the Chalice test client (through the problem+json gateway)."""

    def __init__(self, client: Any) -> None:
        self._http = client.http

    def request(self, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None,
                raw: bytes | None = None) -> Any:
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else b"")
        hdrs = {"Content-Type": "application/json", **(headers or {})}
        return self._http.request(method, path, headers=hdrs, body=data)


@pytest.fixture
def monday(aws: None) -> Any:
    """The application's clock stopped at Monday 2026-03-02, 12:00 in São Paulo, before the tenant and the
    customer exist: put it first in a test's arguments and every record and event of the test is of then."""
    from datetime import UTC, datetime

    from chalicelib.platform.clock import FixedClock
    from tests.deps import use

    clock = FixedClock(datetime(2026, 3, 2, 15, tzinfo=UTC))
    use(clock=clock)
    return clock


@pytest.fixture
def http(aws: None) -> Iterator[Http]:
    from app import app
    from local.gateway import test_client

    yield Http(test_client(app))


def tenant_body(**overrides: Any) -> dict[str, Any]:
    body = {
        "name": "Loja Exemplo", "legal_name": "Loja Exemplo LTDA", "cnpj": "11222333000181",
        "state_registration": "110042490114", "email": "financeiro@loja.example.com",
        "tax_regime": "simples_nacional",
        "address": {"street": "Avenida Paulista", "number": "1000", "district": "Bela Vista",
                    "city": "São Paulo", "city_code": "3550308", "state": "SP", "zip": "01310100"},
    }
    body.update(overrides)
    return body


@pytest.fixture
def tenant(http: Http) -> dict[str, Any]:
    answer = http.request("POST", "/v1/tenants", tenant_body(), ADMIN)
    assert answer.status_code == 201, answer.body
    created = json.loads(answer.body)
    created["headers"] = {"Authorization": f"Bearer {created['api_key']}"}
    return created


@pytest.fixture
def supplier(http: Http, tenant: dict[str, Any]) -> dict[str, Any]:
    """A supplier of the tenant (`tests.api.test_suppliers.supplier_body`)."""
    from tests.api.test_suppliers import supplier_body

    answer = http.request("POST", "/v1/suppliers", supplier_body(), tenant["headers"])
    assert answer.status_code == 201, answer.body
    created: dict[str, Any] = json.loads(answer.body)
    return created
