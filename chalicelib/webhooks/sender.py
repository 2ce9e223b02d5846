"""The HTTP side of a delivery: one POST, at most 10 s, no redirects followed, to the address the SSRF
guard just checked (the connection goes to that IP, with the URL's name for TLS and Host, so a DNS answer
cannot change between the check and the call)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from chalicelib.webhooks import urls
from chalicelib.webhooks.model import TIMEOUT_SECONDS, short_error

USER_AGENT = "Retaguarda-Webhooks/1.0 (+https://www.standardwebhooks.com)"
MAX_READ = 64 * 1024  # what we read of an answer before closing it


@dataclass(frozen=True)
class Outcome:
    status_code: int | None  # None: no HTTP answer (refused, timed out, unsafe address)
    duration_ms: int
    error: str | None = None
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class Sender(Protocol):
    """Port: posts a signed body to an endpoint's URL."""

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Outcome: ...


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


class HttpSender:
    """Adapter: urllib3 to the checked address, certificate verified against certifi's roots."""

    def __init__(self, local_mode: bool, resolve: urls.Resolver = urls.system_resolver,
                 timeout_seconds: float = TIMEOUT_SECONDS) -> None:
        self._local, self._resolve, self._timeout = local_mode, resolve, timeout_seconds

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> Outcome:
        import certifi
        import urllib3

        started = time.monotonic()

        def elapsed() -> int:
            return int((time.monotonic() - started) * 1000)

        try:
            host, port, addresses = urls.checked_addresses(url, self._local, self._resolve)
        except urls.UnsafeUrlError as exc:
            return Outcome(None, elapsed(), f"unsafe_url: {exc}")
        parts = urlsplit(url)
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        timeout = urllib3.Timeout(total=self._timeout)
        pool: urllib3.HTTPConnectionPool
        if parts.scheme == "https":
            pool = urllib3.HTTPSConnectionPool(addresses[0], port, timeout=timeout, retries=False, maxsize=1,
                                               cert_reqs="CERT_REQUIRED", ca_certs=certifi.where(),
                                               server_hostname=host, assert_hostname=host)
        else:
            pool = urllib3.HTTPConnectionPool(addresses[0], port, timeout=timeout, retries=False, maxsize=1)
        try:
            response = pool.urlopen("POST", target, body=body, redirect=False, retries=False, preload_content=False,
                                    headers={**headers, "Host": parts.netloc.rsplit("@", 1)[-1],
                                             "User-Agent": USER_AGENT})
            try:
                response.read(MAX_READ)
            finally:
                response.release_conn()
            return Outcome(response.status, elapsed(), None, _retry_after(response.headers.get("Retry-After")))
        except Exception as exc:  # noqa: BLE001 - any failure to get an answer is a failed attempt, retried
            return Outcome(None, elapsed(), short_error(exc))
        finally:
            pool.close()
