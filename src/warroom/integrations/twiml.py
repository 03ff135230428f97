"""TwiML, the instructions Twilio runs: what a call Warroom places carries, and what its webhooks answer.

A document is ``<Response>…</Response>``: ``<Message>`` replies to a text, ``<Say>`` speaks on a call and
``<Gather numDigits="1" action="…">`` waits for one key, then posts ``Digits`` to its action URL.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

TWIML_TYPE = "application/xml"


def message(text: str) -> str:
    """The answer to an incoming text: one reply message."""
    return f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Message>{escape(text)}</Message></Response>"


def say(text: str) -> str:
    """Speak, then hang up."""
    return f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Say>{escape(text)}</Say></Response>"


NO_KEY = "No key was pressed: acknowledge it in Warroom. Goodbye."


def gather(prompt: str, action: str, *, before: str = "", goodbye: str = NO_KEY) -> str:
    """Speak ``prompt`` while waiting for one key; Twilio posts it as ``Digits`` to ``action``."""
    lead = f"<Say>{escape(before)}</Say>" if before else ""
    return (f"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response>{lead}"
            f"<Gather numDigits=\"1\" timeout=\"10\" method=\"POST\" action={quoteattr(action)}>"
            f"<Say>{escape(prompt)}</Say></Gather><Say>{escape(goodbye)}</Say></Response>")
