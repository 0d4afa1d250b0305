"""Column types shared by the models."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every engine.

    PostgreSQL keeps ``timestamp with time zone``; SQLite has no time zones, so the
    value is stored as naive UTC and given its zone back on the way out. Naive values
    are refused: a naive time in a calling system is a legal-hours bug waiting.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime) or value.tzinfo is None:
            raise ValueError(f"store times must be aware datetimes, got {value!r}")
        try:
            aware: datetime = value.astimezone(UTC)
        except OverflowError:  # 9999-12-31T23:59:59-05:00 is past year 9999 in UTC
            raise ValueError(f"{value.isoformat()} is out of range in UTC") from None
        return aware.replace(tzinfo=None) if dialect.name == "sqlite" else aware

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
