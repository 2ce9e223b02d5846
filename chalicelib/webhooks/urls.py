"""Where a webhook may go: the SSRF guard, checked when an endpoint is registered and again at each delivery
after DNS resolution (a name that resolved to a public address yesterday may resolve to 169.254.169.254
today). Outside local mode only `https://` to public addresses; `make run` also takes `http://127.0.0.1`,
`http://localhost` and `http://[::1]`, so a developer receives real signed webhooks with no tunnel.

Pure but for the resolver, which is passed in (tests give their own; no test sends traffic to such an address).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

MAX_URL_LENGTH = 2048
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
# Names that never mean the public internet, whatever a resolver says about them.
_PRIVATE_SUFFIXES = (".localhost", ".local", ".localdomain", ".internal", ".intranet", ".lan", ".home.arpa",
                     ".corp", ".private")
# Ranges `is_global` lets through but that reach inside: NAT64 and 6to4 embed an IPv4 address.
_EMBEDDING_V4 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"),
                 ipaddress.ip_network("2002::/16"))

Resolver = Callable[[str, int], list[str]]


class UnsafeUrlError(ValueError):
    """The URL may not receive webhooks (the message says why)."""


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system's resolver gives for `host`."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeUrlError(f"{host} does not resolve") from exc
    return sorted({str(info[4][0]) for info in infos})


def is_public(address: str) -> bool:
    """True for an address on the public internet: not private, loopback, link-local (the cloud metadata
    service), shared (CGNAT), multicast, reserved or unspecified, nor an IPv6 form of such an IPv4 one."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return is_public(str(ip.ipv4_mapped))
        if any(ip in net for net in _EMBEDDING_V4):
            return False
    return bool(ip.is_global) and not ip.is_multicast and not ip.is_reserved and not ip.is_unspecified


def _literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def check_url(url: str, local_mode: bool) -> str:
    """The URL as we will call it, or UnsafeUrlError: https with a public name or address (no credentials
    in it, no fragment); in local mode also http(s) to the loopback names."""
    if not isinstance(url, str) or len(url) > MAX_URL_LENGTH:
        raise UnsafeUrlError(f"must be a URL of at most {MAX_URL_LENGTH} characters")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in url):
        raise UnsafeUrlError("must not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UnsafeUrlError(f"is not a valid URL ({exc})") from None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").rstrip(".")
    if scheme not in ("http", "https") or not host:
        raise UnsafeUrlError("must be an https:// URL")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrlError("must not carry credentials (user:password@)")
    if port == 0:
        raise UnsafeUrlError("has no valid port")
    local = local_mode and host.lower() in LOOPBACK_NAMES
    if scheme != "https" and not local:
        raise UnsafeUrlError("must be an https:// URL (http:// to localhost only in local mode)")
    if not local:
        literal = _literal(host)
        if literal is not None:
            if not is_public(literal):
                raise UnsafeUrlError("must point to a public address, not a private, loopback or link-local one")
        else:
            name = host.lower()
            if "." not in name or name in LOOPBACK_NAMES or name.endswith(_PRIVATE_SUFFIXES):
                raise UnsafeUrlError("must name a public host")
            try:
                name.encode("idna")
            except UnicodeError:
                raise UnsafeUrlError("has an invalid host name") from None
    return urlunsplit((scheme, parts.netloc, parts.path or "/", parts.query, ""))


def checked_addresses(url: str, local_mode: bool, resolve: Resolver) -> tuple[str, int, list[str]]:
    """(host, port, addresses) of a URL that passed `check_url`, every address resolved now checked: all
    must be public (one private answer among public ones is refused: a resolver may rotate them)."""
    parts = urlsplit(check_url(url, local_mode))
    host = (parts.hostname or "").rstrip(".")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if local_mode and host.lower() in LOOPBACK_NAMES:
        addresses = ["::1"] if host == "::1" else ["127.0.0.1"]
        return host, port, addresses
    literal = _literal(host)
    addresses = [literal] if literal is not None else resolve(host, port)
    if not addresses:
        raise UnsafeUrlError(f"{host} does not resolve")
    refused = [a for a in addresses if not is_public(a)]
    if refused:
        raise UnsafeUrlError(f"{host} resolves to a non-public address ({refused[0]})")
    return host, port, addresses
