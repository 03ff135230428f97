"""Signed outbound webhooks in the Standard Webhooks shape (webhook-id, -timestamp, -signature)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from warroom.core.delivery import DeliveryError
from warroom.core.outbound import AddressRefused, OutboundPolicy
from warroom.integrations import http, posting

NOT_DELIVERED = "could not deliver: the connection to the webhook's server failed"


def signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    key = secret.encode()
    if secret.startswith("whsec_"):
        key = base64.b64decode(secret[len("whsec_"):])
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


@dataclass(frozen=True)
class WebhookSender:
    """POSTs signed JSON to ``url``. With a ``policy`` (URLs users typed in), only to addresses it allows."""

    url: str
    secret: str
    timeout: float = 10.0
    policy: OutboundPolicy | None = None

    def send(self, *, message_id: str, payload: dict[str, Any], at: datetime) -> None:
        body = json.dumps(payload, separators=(",", ":"), default=str).encode()
        timestamp = int(at.timestamp())
        headers = {
            "content-type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature(self.secret, message_id, timestamp, body),
            "user-agent": "Warroom",
        }
        try:
            if self.policy is None:  # an endpoint the operator configured: httpx, with the environment's proxies
                response = http.client().post(self.url, content=body, headers=headers, timeout=self.timeout)
                answer = posting.Answer(response.status_code, response.reason_phrase,
                                        response.headers.get("retry-after"))
            else:  # a URL a user typed in: only to addresses the policy allows
                answer = posting.guarded_poster(self.policy).post(self.url, body, headers, self.timeout)
        except AddressRefused as error:
            # The message names the host and the kind of address; only admins see which address it was.
            raise DeliveryError(f"refused {error.address}: {error.message}", permanent=True,
                                public=f"refused: {error.message}") from error
        except httpx.HTTPError as error:
            raise DeliveryError(f"{type(error).__name__}: {error}", public=NOT_DELIVERED) from error
        except posting.PostFailed as error:
            raise DeliveryError(f"{error.kind}: {error}", public=NOT_DELIVERED) from error
        raise_for_delivery(answer)


def raise_for_delivery(answer: posting.Answer) -> None:
    status = answer.status
    if status < 300:
        return
    retry_after = _retry_after(answer.retry_after)
    permanent = 400 <= status < 500 and status not in (408, 425, 429)
    # The receiver's body is left out: it could echo an internal service's answer into a delivery record.
    raise DeliveryError(f"HTTP {status} {answer.reason}".strip(), permanent=permanent, retry_after=retry_after)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        return None
