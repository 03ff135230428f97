"""Matrix as a chat platform: reached with WARROOM_MATRIX_HOMESERVER, WARROOM_MATRIX_USER_ID and
WARROOM_MATRIX_ACCESS_TOKEN, announcing in WARROOM_MATRIX_ANNOUNCE_ROOM."""

from __future__ import annotations

from warroom.config import Settings
from warroom.integrations.matrix.client import MatrixPlatform
from warroom.ports.chat import ChatRegistration


def connect(settings: Settings) -> MatrixPlatform | None:
    """The bot, when a homeserver and an access token are configured."""
    if not (settings.matrix_homeserver and settings.matrix_access_token):
        return None
    return MatrixPlatform(settings.matrix_homeserver, settings.matrix_user_id, settings.matrix_access_token)


def announce_room(settings: Settings) -> str:
    return settings.matrix_announce_room


MATRIX = ChatRegistration("matrix", connect, announce_room)
