"""Password hashing (scrypt, a memory-hard KDF) and random secrets kept only as hashes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

_SCRYPT_N = 2**14
_SCRYPT_R = 8
_SCRYPT_P = 1


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def unknown_user_hash() -> str:
    """A stored-hash look-alike at today's cost that no password matches.

    Checking a password for someone unknown (or without a password) against it does the same scrypt work as
    checking a real user's, so the time of a refused sign-in does not tell whether the person exists. Its
    digest is random bytes: building it costs no KDF, and no password can match it.
    """
    return (f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(secrets.token_bytes(16))}"
            f"${_b64(secrets.token_bytes(32))}")


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    expected = _unb64(digest)
    actual = hashlib.scrypt(
        password.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), dklen=len(expected)
    )
    return hmac.compare_digest(actual, expected)


def new_secret(prefix: str) -> str:
    """A random credential such as ``wr_...``; shown once, stored only as its hash."""
    return f"{prefix}_{secrets.token_urlsafe(32)}"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def sign(key: str, message: str) -> str:
    return hmac.new(key.encode(), message.encode(), hashlib.sha256).hexdigest()


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
