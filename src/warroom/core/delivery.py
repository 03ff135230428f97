"""The retry contract between every outbound effect and the engine that runs it.

A sender (mail, webhook, SMS, chat, GitHub) raises ``DeliveryError`` when a send fails; the engine retries it
with backoff unless the failure is ``permanent``, and waits at least ``retry_after`` seconds when the receiver
asked for that.
"""

from __future__ import annotations


class DeliveryError(Exception):
    """A send that failed. ``permanent`` failures (a 4xx other than 408/429) are not retried.

    ``str(error)`` is the whole story, for the engine's job record that admins read; ``public`` is what
    a delivery record shown to anyone says. They differ where the detail would tell a user about the
    network Warroom runs in (which address refused a connection, what a name resolves to).
    """

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None,
                 public: str | None = None) -> None:
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after
        self.public = message if public is None else public
