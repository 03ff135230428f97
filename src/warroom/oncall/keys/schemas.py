"""Integration keys on the wire. The secret appears once, in KeyCreatedOut."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from warroom.oncall.keys.models import IntegrationKey, KeyKind

# Where each kind of key is sent, relative to Warroom's base URL (what the tool's config needs).
INGEST_PATHS = {
    KeyKind.pagerduty: "/v2/enqueue",
    KeyKind.opsgenie: "/",
    KeyKind.alertmanager: "/api/v1/integrations/alertmanager",
    KeyKind.heartbeat: "/v2/heartbeats/{name}/ping",
}
HOW_TO_SEND = {
    KeyKind.pagerduty: "PagerDuty Events API v2: POST the event to this URL with the key as routing_key "
                       "(Alertmanager pagerduty_configs: url + routing_key).",
    KeyKind.opsgenie: "Opsgenie API: use this as the API base URL with 'Authorization: GenieKey <key>' "
                      "(Alertmanager opsgenie_configs: api_url + api_key).",
    KeyKind.alertmanager: "Alertmanager webhook_configs: this url, with http_config.authorization.credentials "
                          "set to the key (Authorization: Bearer <key>).",
    KeyKind.heartbeat: "Opsgenie heartbeat pings: GET or POST this URL with 'Authorization: GenieKey <key>'.",
}


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(description="Which tool sends with the key.", examples=["prometheus-prod"])
    kind: KeyKind = Field(description="The wire format the key may speak.")
    team: str | None = Field(None, description="Team slug: alerts belong to this team and page its on-call.",
                             examples=["engineering"])
    escalation_policy: str | None = Field(None, description="Escalation policy slug or id the alerts follow.")
    dedup_per_alert: bool = Field(False, description="Alertmanager keys: one Warroom alert per alert "
                                                     "fingerprint instead of one per group.")


class KeyOut(BaseModel):
    id: int
    name: str
    kind: KeyKind
    prefix: str = Field(description="The first characters of the secret, to recognise it.")
    team: str | None
    escalation_policy: str | None
    dedup_per_alert: bool
    created_at: datetime
    revoked_at: datetime | None
    warning: str | None = Field(None, description="Set when the key's alerts page nobody it names (no team or "
                                                  "escalation policy): they page the catch-all instead.")

    @classmethod
    def of(cls, key: IntegrationKey, *, team: str | None, policy: str | None,
           warning: str | None = None) -> KeyOut:
        return cls(id=key.id, name=key.name, kind=key.kind, prefix=key.prefix, team=team,
                   escalation_policy=policy, dedup_per_alert=key.dedup_per_alert, created_at=key.created_at,
                   revoked_at=key.revoked_at, warning=warning)


class KeyCreatedOut(KeyOut):
    key: str = Field(description="The secret. Shown this once; only its hash is kept.")
    url: str = Field(description="Where the tool sends with this key.")
    how_to_send: str


class KeyPage(BaseModel):
    items: list[KeyOut]
    total: int
    limit: int
    offset: int


def ingest_url(base_url: str, kind: KeyKind) -> str:
    return base_url.rstrip("/") + INGEST_PATHS[kind]
