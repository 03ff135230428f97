"""Who a person is at an identity provider: an OpenID Connect subject, or the userName a SCIM client gave them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from warroom.db.base import Base, int_pk

# The ``provider`` of identities a SCIM client provisioned (OpenID Connect providers use their configured name).
SCIM = "scim"


class ExternalIdentity(Base):
    """One provider's subject linked to one Warroom person."""

    __tablename__ = "external_identities"
    __table_args__ = (sa.UniqueConstraint("provider", "subject", name="uq_external_identities_provider_subject"),)

    id: Mapped[int] = int_pk()
    provider: Mapped[str] = mapped_column(sa.String(64))
    subject: Mapped[str] = mapped_column(sa.String(255))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # SCIM's externalId: the client's own id for the person (kept, echoed back).
    external_id: Mapped[str | None] = mapped_column(sa.String(255))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
