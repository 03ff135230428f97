"""Name resolution for tests: this machine may have no DNS, and rebinding needs a resolver that changes its mind."""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address, ip_address

from warroom.core.outbound import Address, Unresolvable

PUBLIC = IPv4Address("93.184.215.14")  # a routable address; tests that use it never connect to it


def public_dns(host: str, port: int) -> list[Address]:
    """Literal addresses are themselves; every name is one public address."""
    try:
        return [ip_address(host)]
    except ValueError:
        return [PUBLIC]


@dataclass(eq=False)  # hashable by identity, like any resolver function
class FakeDNS:
    """Answers from a table the test edits between lookups, and notes the lookups."""

    answers: dict[str, list[Address]] = field(default_factory=dict)
    lookups: list[str] = field(default_factory=list)

    def __call__(self, host: str, port: int) -> list[Address]:
        self.lookups.append(host)
        try:
            return [ip_address(host)]
        except ValueError:
            pass
        if host not in self.answers:
            raise Unresolvable(f"{host} does not resolve to any address.")
        return list(self.answers[host])

    def answer(self, host: str, *addresses: str) -> None:
        self.answers[host] = [ip_address(a) for a in addresses]
