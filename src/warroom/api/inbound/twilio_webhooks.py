"""What Twilio sends to Warroom: signed form posts (the answers are TwiML, ``warroom.integrations.twiml``).

- Twilio signs each webhook with ``X-Twilio-Signature``: base64 of HMAC-SHA1, keyed with the account's auth
  token, over the full URL Twilio called (query string included) followed by every POST parameter, sorted by
  name, each as its name then its value, with no separators. The URL is the public one (``WARROOM_BASE_URL``
  and the path), so a proxy in front of Warroom does not change what is checked.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from urllib.parse import parse_qsl

SIGNATURE_HEADER = "x-twilio-signature"

Form = Sequence[tuple[str, str]]


def read_form(body: bytes) -> list[tuple[str, str]]:
    """A form-encoded body's fields in the order sent, blanks kept (they are signed too)."""
    return parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)


def signature(auth_token: str, url: str, form: Form) -> str:
    signed = url + "".join(name + value for name, value in sorted(set(form)))
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signed_by_twilio(auth_token: str, url: str, form: Form, given: str | None) -> bool:
    """True when ``given`` is the signature Twilio makes for this URL and form with this auth token."""
    if not auth_token or not given:
        return False
    return hmac.compare_digest(signature(auth_token, url, form).encode(), given.strip().encode())


def first(form: Form, name: str) -> str:
    return next((value for key, value in form if key == name), "")
