"""The OpenID Connect providers people sign in with, read from WARROOM_OIDC_PROVIDERS (a JSON list)."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from warroom.accounts.models import AccessRole

NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")


class GroupGrant(BaseModel):
    """What being in one of the provider's groups gives a person in Warroom: a team, an access, or both."""

    model_config = ConfigDict(extra="forbid")

    team: str | None = Field(None, description="Slug of the Warroom team the group's members are in.")
    access: AccessRole | None = None


class Provider(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Short name in URLs: /sso/<name>/start.")
    label: str = ""
    issuer: str = Field(description="The issuer URL; its /.well-known/openid-configuration is read.")
    client_id: str
    client_secret: str = ""
    scopes: str = "openid email profile"
    group_claim: str = "groups"
    groups: dict[str, GroupGrant] = Field(default_factory=dict)
    # Access for someone in none of the mapped groups; "none" refuses them.
    default_access: AccessRole | Literal["none"] = AccessRole.viewer
    # Link a first sign-in to the person with the same email even when the token does not say email_verified.
    trust_email: bool = False

    @field_validator("name")
    @classmethod
    def _name_fits_a_url(cls, value: str) -> str:
        if not NAME_RE.match(value):
            raise ValueError(f"provider name '{value}' must be lowercase letters, digits and '-' (it is in URLs)")
        return value

    @field_validator("issuer")
    @classmethod
    def _issuer_is_a_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError(f"issuer '{value}' must be an http(s) URL")
        return value.rstrip("/")

    @field_validator("scopes")
    @classmethod
    def _scopes_ask_for_openid(cls, value: str) -> str:
        if "openid" not in value.split():
            raise ValueError(f"scopes '{value}' must include openid")
        return value

    @property
    def title(self) -> str:
        return self.label or self.name

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer}/.well-known/openid-configuration"


class ProviderSettingInvalid(ValueError):
    """WARROOM_OIDC_PROVIDERS does not describe providers; the message says where."""


@lru_cache(maxsize=8)
def parse_providers(text: str) -> tuple[Provider, ...]:
    """The providers a WARROOM_OIDC_PROVIDERS value names, or ProviderSettingInvalid saying what to fix."""
    if not text.strip():
        return ()
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as error:
        raise ProviderSettingInvalid(f"WARROOM_OIDC_PROVIDERS is not JSON: {error}") from error
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        raise ProviderSettingInvalid("WARROOM_OIDC_PROVIDERS is a JSON list of providers.")
    providers: list[Provider] = []
    for index, item in enumerate(raw):
        try:
            providers.append(Provider.model_validate(item))
        except ValidationError as error:
            where = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors())
            raise ProviderSettingInvalid(f"WARROOM_OIDC_PROVIDERS[{index}]: {where}") from error
    names = [p.name for p in providers]
    if len(set(names)) != len(names):
        raise ProviderSettingInvalid(f"WARROOM_OIDC_PROVIDERS names a provider twice: {', '.join(names)}.")
    return tuple(providers)


def find_provider(text: str, name: str) -> Provider | None:
    return next((p for p in parse_providers(text) if p.name == name), None)
