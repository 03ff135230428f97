"""`warroom config export` writes set-up only: nothing about any incident, private or not, is in the file."""

from __future__ import annotations

from warroom.accounts.models import TokenScope
from warroom.config_as_code import service as config

from .conftest import PUBLIC, SECRET


def test_the_config_export_names_no_incident(runtime, cast, incidents):
    with runtime.database.reading() as db:
        text = config.export_text(db=db, now=runtime.clock.now())
    assert "handle: bob" in text and "slug: security" in text  # the people and teams are there
    for word in (SECRET, PUBLIC, "INC-1", "INC-2", "signing key", "public mirror"):
        assert word not in text


def test_the_config_api_is_for_admins_and_names_no_incident(client, factory, cast, incidents):
    assert client.get("/api/v1/config", headers={"Authorization": f"Bearer {factory.token(cast.bob)}"}
                      ).status_code == 403
    admin = {"Authorization": f"Bearer {factory.token(cast.alice, TokenScope.admin)}"}
    text = client.get("/api/v1/config", headers=admin).text
    assert "handle: bob" in text
    for word in (SECRET, PUBLIC, "INC-1", "INC-2"):
        assert word not in text
