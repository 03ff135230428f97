"""Warroom's own dead-man's switch: while the engine ticks, it pings WARROOM_SELF_HEARTBEAT_URL (another
Warroom's or Opsgenie's heartbeat ping, a healthchecks URL, any URL); when this Warroom stops, the pings stop and
whoever watches that URL pages someone.

The ping goes through the outbound allow-list client (integrations/http.py), in a thread of its own, so a slow
receiver never holds up the engine's tick; at most one ping is in flight.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx

from warroom.core.errors import WarroomError
from warroom.core.outbound import OutboundPolicy
from warroom.integrations.http import guarded_client
from warroom.observability import metrics

log = logging.getLogger("warroom.engine")
TIMEOUT_SECONDS = 10.0


@dataclass
class SelfHeartbeat:
    url: str
    policy: OutboundPolicy
    every: timedelta
    authorization: str = ""
    _last: datetime | None = field(default=None, init=False)
    _in_flight: threading.Thread | None = field(default=None, init=False)

    def due(self, now: datetime) -> bool:
        return self._last is None or now - self._last >= self.every

    def beat(self, now: datetime) -> None:
        """Called by the engine's heartbeat after it wrote its own: ping, unless a ping is still on its way."""
        if not self.due(now) or (self._in_flight is not None and self._in_flight.is_alive()):
            return
        self._last = now
        self._in_flight = threading.Thread(target=self.ping, name="warroom-self-heartbeat", daemon=True)
        self._in_flight.start()

    def ping(self) -> bool:
        headers = {"authorization": self.authorization} if self.authorization else {}
        try:
            response = guarded_client(self.policy).get(self.url, headers=headers, timeout=TIMEOUT_SECONDS)
        except (httpx.HTTPError, WarroomError) as error:  # WarroomError: the allow-list refused the address
            return self._failed(f"{type(error).__name__}: {error}")
        if response.status_code >= 400:
            return self._failed(f"HTTP {response.status_code}")
        metrics.self_heartbeat_pings.labels(outcome="sent").inc()
        return True

    def _failed(self, why: str) -> bool:
        metrics.self_heartbeat_pings.labels(outcome="failed").inc()
        log.warning("self heartbeat: pinging WARROOM_SELF_HEARTBEAT_URL failed (%s)", why)
        return False
