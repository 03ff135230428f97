"""Where Warroom may send what people tell it to: the outbound-address policy for URLs users and admins type in.

A webhook URL someone types could point Warroom at its own network: the database on 127.0.0.1:5432, a
service on 10.0.0.0/8, the cloud metadata service on 169.254.169.254. Warroom refuses loopback, private,
link-local, unique-local, multicast, unspecified and other non-public addresses, unless the operator allows
a network with WARROOM_OUTBOUND_ALLOW (comma-separated CIDRs, e.g. ``127.0.0.1/32,10.0.0.0/8``).

The check runs twice: when the URL is saved (a clear error to fix), and on every connection, on the
addresses the host resolves to at that moment; the connection then goes to a checked address, never to a
second lookup, so a name that resolves to a public address when saved and to 127.0.0.1 later (DNS
rebinding) is refused. Host forms like ``0x7f000001``, ``2130706433``, ``127.1``, ``[::1]`` and
``[::ffff:127.0.0.1]`` are read the way the system resolver reads them, so they are recognised too.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network
from urllib.parse import urlsplit

from warroom.core.errors import ValidationFailed

Address = IPv4Address | IPv6Address
Network = IPv4Network | IPv6Network
Resolver = Callable[[str, int], Sequence[Address]]

SETTING = "WARROOM_OUTBOUND_ALLOW"
UNIQUE_LOCAL = IPv6Network("fc00::/7")
NAT64 = IPv6Network("64:ff9b::/96")  # the well-known NAT64 prefix: an IPv4 address in its last 32 bits
DEFAULT_PORTS = {"http": 80, "https": 443}


class AddressRefused(ValidationFailed):
    """A URL whose host is (or resolves to) an address Warroom does not send to."""

    title = "Address not allowed"

    def __init__(self, message: str, *, address: Address, address_class: str, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.address = address
        self.address_class = address_class


class Unresolvable(ValidationFailed):
    """A host name the resolver has no address for."""


def system_resolver(host: str, port: int) -> list[Address]:
    """Every address the system resolver gives for ``host`` (what a plain connect would try)."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise Unresolvable(f"{host} does not resolve to any address ({error.args[-1]}).") from error
    addresses: list[Address] = []
    for *_, sockaddr in found:
        address = ip_address(str(sockaddr[0]))
        if address not in addresses:
            addresses.append(address)
    return addresses


def parse_allow_list(text: str) -> tuple[Network, ...]:
    """The operator's allowed networks from ``127.0.0.1/32, 10.0.0.0/8`` (a bare address is a /32 or /128)."""
    networks: list[Network] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        try:
            networks.append(ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{SETTING}: '{item}' is not a network; write CIDRs separated by commas, "
                             "e.g. 127.0.0.1/32,10.0.0.0/8.") from None
    return tuple(networks)


def embedded_ipv4(address: Address) -> IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (IPv4-mapped, NAT64, 6to4), if it stands for one."""
    if isinstance(address, IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64:
        return IPv4Address(int(address) & 0xFFFFFFFF)
    return address.sixtofour


def address_class(address: Address) -> str | None:
    """Why an address is not public ("loopback", "private", …), or None for a public address."""
    inner = embedded_ipv4(address)
    if inner is not None:
        return address_class(inner)
    checks: tuple[tuple[str, bool], ...] = (
        ("unspecified", address.is_unspecified),
        ("loopback", address.is_loopback),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("unique-local", isinstance(address, IPv6Address) and address in UNIQUE_LOCAL),
        ("private", address.is_private),
        ("reserved", address.is_reserved or not address.is_global),
    )
    return next((name for name, hit in checks if hit), None)


@dataclass(frozen=True)
class OutboundPolicy:
    """Which addresses outbound URLs from users may reach: public ones, and the networks the operator allows."""

    allow: tuple[Network, ...] = ()
    resolver: Resolver = system_resolver

    @classmethod
    def parse(cls, allow: str, resolver: Resolver = system_resolver) -> OutboundPolicy:
        return cls(parse_allow_list(allow), resolver)

    def allows(self, address: Address) -> bool:
        candidates = [address]
        inner = embedded_ipv4(address)
        if inner is not None:
            candidates.append(inner)
        if any(candidate in network for candidate in candidates for network in self.allow
               if candidate.version == network.version):
            return True
        return address_class(address) is None

    def addresses(self, host: str, port: int, *, field: str | None = None) -> list[Address]:
        """The addresses ``host`` resolves to now, every one of them allowed; else AddressRefused."""
        name = host.strip("[]")
        try:
            addresses = list(self.resolver(name, port))
        except Unresolvable as error:
            raise Unresolvable(error.message, field=field) from None
        if not addresses:
            raise Unresolvable(f"{name} does not resolve to any address.", field=field)
        for address in addresses:
            if not self.allows(address):
                raise refused(name, address, field=field)
        return addresses

    def check_url(self, url: str, *, field: str = "url") -> str:
        """Save time: an http(s) URL with a host whose every address is allowed; returns the URL."""
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            raise ValidationFailed(f"'{url}' is not a web address; use an https:// (or http://) URL.", field=field)
        try:
            port = parts.port or DEFAULT_PORTS[parts.scheme]
        except ValueError:
            raise ValidationFailed(f"'{url}' has an invalid port.", field=field) from None
        self.addresses(parts.hostname, port, field=field)
        return url


def refused(host: str, address: Address, *, field: str | None = None) -> AddressRefused:
    kind = address_class(address) or "not allowed"
    article = "an" if kind[0] in "aeiou" else "a"
    verb = "is" if _is_literal(host) else "resolves to"
    where = f"{host} {verb} {article} {kind} address"
    message = (f"{where}: Warroom does not send to loopback, private, link-local or other internal addresses. "
               f"Use a public address, or ask an operator to allow the network with {SETTING}.")
    return AddressRefused(message, address=address, address_class=kind, field=field)


def _is_literal(host: str) -> bool:
    try:
        ip_address(host)
    except ValueError:
        return False
    return True


STRICT = OutboundPolicy()
