"""Who is asking, and what they may do: one permission model for the console and the API.

A request is made either by a console user (a session cookie set at log-in) or by a
program holding an API key (``Authorization: Bearer KEY``). Both come down to a
:class:`Principal` with a set of :class:`Permission`: a user's role grants them, a key's
scope grants them. Routes ask for a permission, never for a role.

Secrets are never stored: passwords as argon2id hashes, keys and session cookies as
their SHA-256 (they are long random strings, so a fast hash is enough for them).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from mbs.campaign.store import Store


class Permission(StrEnum):
    READ = "read"  # campaigns, calls, transcripts, live view, exports
    CONTROL = "control"  # create, start, pause, resume, cancel campaigns
    CONTACTS = "contacts"  # contacts page, opt-out, blocklist
    ADMIN = "admin"  # forget a person, purge, users and keys


class Role(StrEnum):
    ADMIN = "admin"
    SUPERVISOR = "supervisor"
    VIEWER = "viewer"


class Scope(StrEnum):
    READ = "read"
    CONTROL = "control"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset({Permission.READ}),
    Role.SUPERVISOR: frozenset({Permission.READ, Permission.CONTROL, Permission.CONTACTS}),
    Role.ADMIN: frozenset(Permission),
}
SCOPE_PERMISSIONS: dict[Scope, frozenset[Permission]] = {
    Scope.READ: frozenset({Permission.READ}),
    Scope.CONTROL: frozenset({Permission.READ, Permission.CONTROL}),
}

SESSION_COOKIE = "mbs_session"
SESSION_LIFETIME = timedelta(hours=12)
KEY_PREFIX = "mbs_"
USERNAME_MAX = 64
PASSWORD_MIN = 10
PASSWORD_MAX = 256

_hasher = PasswordHasher()  # argon2id, 64 MiB, 3 passes: argon2-cffi's defaults


@dataclass(frozen=True)
class Principal:
    kind: str  # "user" or "key"
    name: str
    role: str  # a user's role, or a key's scope
    permissions: frozenset[Permission]
    csrf: str | None = None  # a session's CSRF token (None for keys: no cookie, no CSRF)
    session_hash: str | None = None

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions


def sha256(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


# Verified against when the user does not exist, so a wrong name costs the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def check_password_rules(password: str) -> str | None:
    """A sentence saying what is wrong with a new password, or None."""
    if len(password) < PASSWORD_MIN:
        return f"the password must have at least {PASSWORD_MIN} characters"
    if len(password) > PASSWORD_MAX:
        return f"the password must have at most {PASSWORD_MAX} characters"
    return None


def check_username(username: str) -> str | None:
    if not username or len(username) > USERNAME_MAX:
        return f"a user name has 1 to {USERNAME_MAX} characters"
    if not all(ch.isalnum() or ch in "._-@" for ch in username):
        return "a user name holds letters, digits and . _ - @ only"
    return None


def new_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def new_token() -> str:
    return secrets.token_urlsafe(32)


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))


class LoginLimiter:
    """At most ``attempts`` failed log-ins per user name and per client in ``window_s``.

    In memory: a restart forgets the failures, which costs an attacker one restart per
    few guesses, not a way in. Time is monotonic, so clock changes do not open it.
    Only failures make entries (checking a name costs nothing), and past ``max_keys``
    expired entries go first, then keys under the limit, stalest first: a spray of
    names cannot wipe a lock in force.
    """

    def __init__(
        self,
        attempts: int = 5,
        window_s: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
        max_keys: int = 10_000,
    ) -> None:
        self.attempts, self.window_s, self.clock = attempts, window_s, clock
        self.max_keys = max_keys
        # key -> its failures in the window, the key with the oldest last failure first
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float] | None:
        found = self._failures.get(key)
        if found is None:
            return None
        while found and now - found[0] > self.window_s:
            found.popleft()
        if not found:
            del self._failures[key]
            return None
        return found

    def retry_after(self, *keys: str) -> float:
        """Seconds before these keys may try again (0: now)."""
        now = self.clock()
        with self._lock:
            wait = 0.0
            for key in keys:
                recent = self._recent(key, now)
                if recent is not None and len(recent) >= self.attempts:
                    wait = max(wait, self.window_s - (now - recent[0]))
            return wait

    def failed(self, *keys: str) -> None:
        now = self.clock()
        with self._lock:
            for key in keys:
                recent = self._recent(key, now)
                if recent is None:
                    recent = self._failures[key] = deque(maxlen=self.attempts)
                recent.append(now)
                self._failures.move_to_end(key)
            if len(self._failures) > self.max_keys:
                self._shrink(now)

    def _shrink(self, now: float) -> None:
        """Down to nine tenths of ``max_keys`` (so this runs once per many failures):
        expired entries first, then unlocked ones, stalest first, then locked ones."""
        goal = self.max_keys * 9 // 10
        for key in list(self._failures):
            self._recent(key, now)  # drops the expired
        for locked in (False, True):
            for key in list(self._failures):
                if len(self._failures) <= goal:
                    return
                if (len(self._failures[key]) >= self.attempts) is locked:
                    del self._failures[key]

    def succeeded(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._failures.pop(key, None)

    def __len__(self) -> int:
        return len(self._failures)


class Authenticator:
    """Turns a request's key or cookie into a :class:`Principal` (store look-ups)."""

    def __init__(self, store: Store, now: Callable[[], datetime]) -> None:
        self.store = store
        self.now = now

    def from_key(self, key: str) -> Principal | None:
        if not key.startswith(KEY_PREFIX) or len(key) > 200:
            return None
        found = self.store.api_key_by_hash(sha256(key), now=self.now())
        if found is None:
            return None
        try:
            scope = Scope(found.scope)
        except ValueError:
            return None
        return Principal("key", found.name, scope.value, SCOPE_PERMISSIONS[scope])

    def from_session(self, cookie: str) -> Principal | None:
        if not cookie or len(cookie) > 200:
            return None
        digest = sha256(cookie)
        found = self.store.session_by_hash(digest, now=self.now())
        if found is None:
            return None
        try:
            role = Role(found.user.role)
        except ValueError:
            return None
        return Principal(
            "user",
            found.user.username,
            role.value,
            ROLE_PERMISSIONS[role],
            csrf=found.csrf,
            session_hash=digest,
        )

    def resolve(self, authorization: str | None, cookie: str | None) -> Principal | None:
        if authorization:
            scheme, _, value = authorization.partition(" ")
            if scheme.lower() != "bearer":
                return None
            return self.from_key(value.strip())
        if cookie:
            return self.from_session(cookie)
        return None

    def log_in(self, username: str, password: str) -> tuple[str, Principal] | None:
        """Check the password; on success a new session: (cookie value, principal)."""
        user = self.store.get_user(username)
        if user is None or user.disabled:
            verify_password(_DUMMY_HASH, password)
            return None
        if not verify_password(user.password_hash, password):
            return None
        if _hasher.check_needs_rehash(user.password_hash):
            self.store.set_password_hash(user.id, hash_password(password))
        token, csrf = new_token(), new_token()
        now = self.now()
        self.store.add_session(
            sha256(token), user.id, csrf, now=now, expires_at=now + SESSION_LIFETIME
        )
        role = Role(user.role)
        return token, Principal(
            "user", user.username, role.value, ROLE_PERMISSIONS[role], csrf, sha256(token)
        )
