"""Collections through `make run`'s stack: order → charges → sandbox payment → order paid, and a
person paying a card link on the sandbox checkout page in headless Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from urllib.parse import urlparse

import pytest
import requests

from tests.api.conftest import tenant_body
from tests.api.test_catalog import customer_body, product_body

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def shop(stack):
    created = stack.call("POST", "/v1/tenants", stack.admin_key, tenant_body(cnpj="33000167000101"))
    assert created.status_code == 201, created.text
    key = created.json()["api_key"]
    assert stack.call("PATCH", "/v1/tenant/settings", key, {"invoicing": {"enabled": False}}).status_code == 200
    customer = stack.call("POST", "/v1/customers", key, customer_body()).json()
    assert stack.call("POST", "/v1/products", key, product_body(sku="CHG-1", gtin=None, min_stock=0)).status_code == 201
    assert stack.call("POST", "/v1/stock/movements", key, {"sku": "CHG-1", "type": "receipt",
                                                          "quantity": 50}).status_code == 201
    return {"key": key, "customer_id": customer["id"]}


def place(stack, shop, method, installments):
    placed = stack.call("POST", "/v1/orders", shop["key"], {
        "customer_id": shop["customer_id"], "lines": [{"sku": "CHG-1", "quantity": 1}],
        "payment": {"method": method, "installments": installments}})
    assert placed.status_code == 201, placed.text
    return placed.json()


def charges_of(stack, shop, order_id, count):
    def ready():
        data = stack.call("GET", "/v1/charges?limit=100", shop["key"]).json()["data"]
        mine = [c for c in data if c["order_id"] == order_id]
        return sorted(mine, key=lambda c: c["installment"]) if len(mine) == count else None

    return stack.wait_for(ready)


def test_order_charges_sandbox_payment_order_paid(stack, shop):
    order = place(stack, shop, "boleto", 2)
    charges = charges_of(stack, shop, order["id"], 2)
    assert sum(c["amount_cents"] for c in charges) == order["total_cents"]
    pdf = stack.call("GET", f"/v1/charges/{charges[0]['id']}/pdf", shop["key"], headers={"Accept": "*/*"})
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    for charge in charges:
        paid = stack.call("POST", f"/v1/sandbox/charges/{charge['id']}/pay", shop["key"], {})
        assert paid.status_code == 200 and paid.json()["charge"]["status"] == "paid", paid.text
    stack.wait_for(lambda: stack.call("GET", f"/v1/orders/{order['id']}", shop["key"]).json()["payment_status"]
                   == "paid")
    stack.wait_for(lambda: stack.call("GET", "/v1/events?type=order.paid", shop["key"]).json()["data"])


def _chromedriver() -> tuple[str, str] | None:
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    return (chromium, driver) if chromium and driver else None


@pytest.mark.skipif(_chromedriver() is None and not os.environ.get("CI"),
                    reason="Debian's chromium and chromium-driver are not installed (apt-get install chromium "
                           "chromium-driver)")
def test_a_person_pays_a_card_link_on_the_checkout_page(stack, shop, tmp_path):
    assert _chromedriver(), "CI needs Debian's chromium and chromium-driver"
    chromium, driver = _chromedriver()  # type: ignore[misc]
    order = place(stack, shop, "card_link", 1)
    charge = charges_of(stack, shop, order["id"], 1)[0]
    url = stack.url + urlparse(charge["card_link"]["url"]).path
    port = _free_port()
    process = subprocess.Popen([driver, f"--port={port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: requests.get(base + "/status", timeout=1).ok)
        session = requests.post(base + "/session", json={"capabilities": {"alwaysMatch": {
            "browserName": "chrome", "goog:chromeOptions": {"binary": chromium, "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                f"--user-data-dir={tempfile.mkdtemp(dir=tmp_path)}"]}}}}, timeout=60).json()["value"]
        sid = session["sessionId"]
        wd = f"{base}/session/{sid}"
        requests.post(wd + "/url", json={"url": url}, timeout=30)
        text = _element_text(wd, "#status")
        assert text == "pending"
        button = requests.post(wd + "/element", json={"using": "css selector", "value": "#pay"}, timeout=10).json()
        element = next(iter(button["value"].values()))
        requests.post(f"{wd}/element/{element}/click", json={}, timeout=30)
        _wait(lambda: _element_text(wd, "#status") == "paid")
        screenshot = requests.get(wd + "/screenshot", timeout=30).json()["value"]
        (tmp_path / "checkout-paid.png").write_bytes(__import__("base64").b64decode(screenshot))
        assert _element_text(wd, "#message") == "Pagamento aprovado."
        requests.delete(wd, timeout=30)
    finally:
        process.terminate()
        process.wait(timeout=10)
    read = stack.call("GET", f"/v1/charges/{charge['id']}", shop["key"]).json()
    assert read["status"] == "paid" and read["payments"][0]["source"] == "local"
    stack.wait_for(lambda: stack.call("GET", f"/v1/orders/{order['id']}", shop["key"]).json()["payment_status"]
                   == "paid")


def _element_text(wd: str, selector: str) -> str | None:
    found = requests.post(wd + "/element", json={"using": "css selector", "value": selector}, timeout=10).json()
    if not isinstance(found.get("value"), dict) or "error" in found["value"]:
        return None
    element = next(iter(found["value"].values()))
    return requests.get(f"{wd}/element/{element}/text", timeout=10).json()["value"]


def _wait(predicate, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise AssertionError("timed out")


def _free_port() -> int:
    from local.services import free_port

    return free_port()
