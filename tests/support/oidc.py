"""A real OpenID Connect provider (the oidc-provider-mock package, a Flask app on authlib) as its own process on a
free loopback port, with predefined people and their claims, for the tests that sign in through it."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from .waiting import free_port, stop_process, wait_until


def _ready(issuer: str) -> bool:
    try:
        return httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def oidc_provider_process(people: Sequence[dict[str, Any]], workdir: Path) -> Iterator[str]:
    """Run the provider with ``people`` (claims, each with a "sub") until the block ends; yields its issuer URL.

    It requires a nonce on every authorization request; it signs ID tokens with its own RS256 key, published at
    its JWKS URL.
    """
    port = free_port()
    log = workdir / "oidc-provider.log"
    claims = [arg for person in people for arg in ("--user-claims", json.dumps(person))]
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "oidc_provider_mock", "--port", str(port), "--require-nonce", *claims],
            stdout=output, stderr=subprocess.STDOUT)
    issuer = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _ready(issuer) or process.poll() is not None, seconds=30, what="the OIDC provider")
        assert process.poll() is None, f"the OIDC provider exited: {log.read_text()[-3000:]}"
        yield issuer
    finally:
        stop_process(process, 10)
