"""Who is really asking: the client address behind trusted reverse proxies.

``X-Forwarded-For`` is written by whoever sends the request, so it is believed only when the connection
comes from a configured proxy (``WARROOM_TRUSTED_PROXIES``). Each proxy appends the address it received
the request from; reading right to left, the first address that is not a trusted proxy is the client.
Anything further left was written by the client itself and is ignored.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def proxy_networks(text: str) -> list[Network]:
    """``"10.0.0.0/8, 192.0.2.7, ::1"`` as networks; ValueError naming the entry that is not one."""
    networks: list[Network] = []
    for entry in (part.strip() for part in text.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(
                f"'{entry}' is not an IP address or CIDR block; list the reverse proxies as e.g. "
                "'10.0.0.5, 192.168.1.0/24'.") from None
    return networks


def is_trusted(address: str, proxies: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip().strip("[]"))
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip.version == network.version and ip in network for network in proxies)


def client_address(peer: str, forwarded_for: Iterable[str], proxies: Sequence[Network]) -> str:
    """The client's address, given the connection's ``peer`` and the ``X-Forwarded-For`` header values."""
    if not proxies or not is_trusted(peer, proxies):
        return peer
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not is_trusted(hop, proxies):
            return hop
    return hops[0] if hops else peer
