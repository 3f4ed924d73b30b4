"""The SSRF guard for outbound webhooks: a clinic's URL may only reach the public internet.

Checked when a subscription is saved and again right before each delivery, whose connection
then goes to the address checked here (a host name that resolves elsewhere a second later -
DNS rebinding - cannot move it). The guard is on everywhere, development included: outside
production only the hosts (`host` or `host:port`) listed in `WEBHOOKS_PRIVATE_HOSTS_ALLOWED`
(the environment's list of local fake-platform and test receivers) may be private.
`WEBHOOKS_ALLOW_PRIVATE_TARGETS` (default off) is for test suites that serve receivers on
random local ports.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

MAX_URL_LENGTH = 2000
_SCHEMES = {"http": 80, "https": 443}
# Shared address space (carrier-grade NAT) is neither private nor global in `ipaddress`.
_SHARED = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # embeds an IPv4 address in its last 32 bits

_REFUSED = "Webhooks may only reach public addresses"

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeTarget(ValueError):
    """The URL may not be used as a webhook target; the message says why (shown to users)."""


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent in the request line
    addresses: tuple[str, ...]  # where to connect, checked; empty when not resolved


def private_targets_allowed(target: Target | None = None) -> bool:
    if getattr(settings, "WEBHOOKS_ALLOW_PRIVATE_TARGETS", False):
        return True
    if target is None or getattr(settings, "CAREWATCH_PRODUCTION", False):
        return False
    allowed = {h.lower() for h in getattr(settings, "WEBHOOKS_PRIVATE_HOSTS_ALLOWED", [])}
    return target.host.lower() in allowed or f"{target.host}:{target.port}".lower() in allowed


def url_parse(url: str) -> Target:
    """Split a webhook URL, refusing what is never acceptable whatever the settings."""
    if not isinstance(url, str) or not url.strip():
        raise UnsafeTarget("Enter a URL.")
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeTarget(f"At most {MAX_URL_LENGTH} characters.")
    if any(ord(ch) < 33 or ord(ch) == 127 for ch in url):
        raise UnsafeTarget("The URL may not contain spaces or control characters.")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise UnsafeTarget("Use an http:// or https:// URL.")
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise UnsafeTarget(
            "The URL may not contain a user name or password; authenticate with the signature."
        )
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeTarget("The URL has no host.")
    try:
        port = parts.port or _SCHEMES[scheme]
    except ValueError:
        raise UnsafeTarget("The port is not a number between 1 and 65535.") from None
    if port == 0:
        raise UnsafeTarget("The port is not a number between 1 and 65535.")
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(scheme=scheme, host=host, port=port, path=path, addresses=())


def _address(raw: str) -> IPAddress:
    address = ipaddress.ip_address(raw.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(address, ipaddress.IPv6Address):
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        mapped = address.ipv4_mapped or address.sixtofour
        if mapped is not None:
            return mapped
    return address


def address_refusal(address: IPAddress) -> str | None:
    """What kind of address this is ("a loopback address") when it may not be a webhook
    target; None for a public address."""
    checks = (
        (address.is_loopback, "a loopback address"),
        (address.is_link_local, "a link-local address"),
        (address.is_unspecified, "an unspecified address"),
        (address.is_multicast, "a multicast address"),
        (address.is_reserved, "a reserved address"),
        (address.is_private, "a private address"),
        (address in _SHARED, "a shared (CGNAT) address"),
        (not address.is_global, "not a public address"),
    )
    for refused, reason in checks:
        if refused:
            return reason
    return None


def _resolve(host: str, port: int) -> tuple[str, ...]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UnsafeTarget(f"The host name {host!r} does not resolve.") from None
    seen: dict[str, None] = {}
    for _family, _type, _proto, _name, sockaddr in infos:
        seen.setdefault(sockaddr[0], None)
    if not seen:
        raise UnsafeTarget(f"The host name {host!r} does not resolve.")
    return tuple(seen)


def target_check(url: str, *, resolve: bool = True) -> Target:
    """Parse `url` and check every address its host resolves to; raise `UnsafeTarget` with a
    reason a user can act on. Where private targets are allowed, only the URL's form is
    checked, and the host is resolved only when `resolve` (a delivery needs an address)."""
    target = url_parse(url)
    allowed = private_targets_allowed(target)
    if allowed and not resolve:
        return target
    try:
        literal: IPAddress | None = _address(target.host)
    except ValueError:
        literal = None
    if literal is not None:
        addresses: tuple[str, ...] = (target.host,)
    else:
        if not allowed and target.host.lower() in {"localhost", "localhost.localdomain"}:
            raise UnsafeTarget(f"{_REFUSED}: localhost is a loopback address.")
        addresses = _resolve(target.host, target.port)
    if not allowed:
        for raw in addresses:
            address = _address(raw)
            kind = address_refusal(address)
            if kind and literal is not None:
                raise UnsafeTarget(f"{_REFUSED}: {address} is {kind}.")
            if kind:
                raise UnsafeTarget(f"{_REFUSED}: {target.host} resolves to {address}, {kind}.")
    return Target(
        scheme=target.scheme,
        host=target.host,
        port=target.port,
        path=target.path,
        addresses=addresses,
    )
