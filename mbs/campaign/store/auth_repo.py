"""People and keys: console users, API keys and browser sessions.

The store keeps hashes only: an argon2id PHC string per user (computed by the caller,
``mbs.api.auth``), the SHA-256 of each API key and of each session cookie. A stolen
database therefore opens nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select

from mbs.campaign.store.base import StoreBase
from mbs.campaign.store.engine import StoreError
from mbs.campaign.store.models import ApiKey, User, WebSession


@dataclass(frozen=True)
class UserInfo:
    id: int
    username: str
    role: str
    password_hash: str
    disabled: bool
    created_at: datetime


@dataclass(frozen=True)
class ApiKeyInfo:
    id: int
    name: str
    scope: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


@dataclass(frozen=True)
class SessionInfo:
    user: UserInfo
    csrf: str
    expires_at: datetime


def _user(u: User) -> UserInfo:
    return UserInfo(u.id, u.username, u.role, u.password_hash, u.disabled, u.created_at)


def _key(k: ApiKey) -> ApiKeyInfo:
    return ApiKeyInfo(k.id, k.name, k.scope, k.created_at, k.last_used_at, k.revoked_at)


class AuthMixin(StoreBase):
    # ------------------------------------------------------------------ users

    def add_user(
        self, username: str, password_hash: str, role: str, *, now: datetime, replace: bool = False
    ) -> UserInfo:
        """Create a user; with ``replace`` an existing one gets the new hash and role."""
        with self.session() as s:
            found = s.scalars(select(User).where(User.username == username)).one_or_none()
            if found is not None:
                if not replace:
                    raise StoreError(f"user {username!r} already exists")
                found.password_hash, found.role, found.disabled = password_hash, role, False
                s.execute(delete(WebSession).where(WebSession.user_id == found.id))
                return _user(found)
            user = User(
                username=username,
                password_hash=password_hash,
                role=role,
                disabled=False,
                created_at=now,
            )
            s.add(user)
            s.flush()
            return _user(user)

    def get_user(self, username: str) -> UserInfo | None:
        with self.session() as s:
            found = s.scalars(select(User).where(User.username == username)).one_or_none()
            return _user(found) if found is not None else None

    def list_users(self) -> list[UserInfo]:
        with self.session() as s:
            return [_user(u) for u in s.scalars(select(User).order_by(User.username))]

    def set_password_hash(self, user_id: int, password_hash: str) -> None:
        with self.session() as s:
            user = s.get(User, user_id)
            if user is not None:
                user.password_hash = password_hash

    def has_credentials(self) -> bool:
        """Whether anyone at all can log in or present a key."""
        with self.session() as s:
            users = s.scalar(select(func.count()).select_from(User).where(User.disabled.is_(False)))
            keys = s.scalar(
                select(func.count()).select_from(ApiKey).where(ApiKey.revoked_at.is_(None))
            )
            return bool(users) or bool(keys)

    # ------------------------------------------------------------------ API keys

    def add_api_key(self, name: str, key_hash: str, scope: str, *, now: datetime) -> ApiKeyInfo:
        with self.session() as s:
            if s.scalars(select(ApiKey).where(ApiKey.name == name)).one_or_none() is not None:
                raise StoreError(f"an API key named {name!r} already exists")
            key = ApiKey(name=name, key_hash=key_hash, scope=scope, created_at=now)
            s.add(key)
            s.flush()
            return _key(key)

    def api_key_by_hash(self, key_hash: str, *, now: datetime) -> ApiKeyInfo | None:
        """The live key with this hash (its last use is recorded, at most once a minute)."""
        with self.session() as s:
            key = s.scalars(
                select(ApiKey).where(ApiKey.key_hash == key_hash, ApiKey.revoked_at.is_(None))
            ).one_or_none()
            if key is None:
                return None
            if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
                key.last_used_at = now
            return _key(key)

    def list_api_keys(self) -> list[ApiKeyInfo]:
        with self.session() as s:
            return [_key(k) for k in s.scalars(select(ApiKey).order_by(ApiKey.name))]

    def revoke_api_key(self, name: str, *, now: datetime) -> bool:
        with self.session() as s:
            key = s.scalars(select(ApiKey).where(ApiKey.name == name)).one_or_none()
            if key is None or key.revoked_at is not None:
                return False
            key.revoked_at = now
            return True

    # ------------------------------------------------------------------ sessions

    def add_session(
        self, session_hash: str, user_id: int, csrf: str, *, now: datetime, expires_at: datetime
    ) -> None:
        with self.session() as s:
            s.execute(delete(WebSession).where(WebSession.expires_at < now))
            s.add(
                WebSession(
                    id=session_hash,
                    user_id=user_id,
                    csrf=csrf,
                    created_at=now,
                    expires_at=expires_at,
                )
            )

    def session_by_hash(self, session_hash: str, *, now: datetime) -> SessionInfo | None:
        with self.session() as s:
            row = s.execute(
                select(WebSession, User)
                .join(User, User.id == WebSession.user_id)
                .where(WebSession.id == session_hash)
            ).one_or_none()
            if row is None:
                return None
            ws, user = row
            if ws.expires_at <= now or user.disabled:
                return None
            return SessionInfo(_user(user), ws.csrf, ws.expires_at)

    def drop_session(self, session_hash: str) -> None:
        with self.session() as s:
            s.execute(delete(WebSession).where(WebSession.id == session_hash))
