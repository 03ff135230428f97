"""Declarative base with a naming convention so migrations name constraints the same on every store."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from warroom.db.types import UTCDateTime

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime(),
        dict[str, Any]: sa.JSON(),
        list[str]: sa.JSON(),
        enum.Enum: sa.Enum(
            enum.Enum, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e]
        ),
    }


def int_pk() -> Mapped[int]:
    return mapped_column(sa.Integer, primary_key=True, autoincrement=True)
