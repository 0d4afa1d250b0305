"""When a contact may be called: the calling policy, French law by default.

The default policy, ``fr-D223-9``, follows article D223-9 of the Code de la consommation
(in force since 1 March 2023) for unsolicited commercial calls:

* Monday to Friday only, never on a public holiday;
* only 10:00-13:00 and 14:00-20:00, on the callee's own clock;
* at most 4 solicitations of one person in any 30 days;
* once the person has refused during a call, no new solicitation for 60 days.

On top of the decree: opted-out and blocklisted numbers are never dialled, and a
contact who gave recorded consent may be called outside the days and hours (the caps
and the refusal cool-off still apply; opt-out always wins).

Everything here is pure and clock-injected: callers pass ``now`` (aware UTC) and a
:class:`ContactHistory`; nothing reads the clock or the database. Local time comes from
the number itself (``phonenumbers``): a Réunion number is judged on the Indian/Reunion
clock with Réunion's holidays, a Martinique number on America/Martinique. When a
number maps to several zones, every one of them must be inside a window.
"""

from __future__ import annotations

import functools
import itertools
import json
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import holidays as holidays_lib
import phonenumbers
from phonenumbers import timezone as pn_timezone
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mbs.campaign.errors import CampaignError
from mbs.dsl.problems import suggest
from mbs.errors import InputError
from mbs.program import Result

DEFAULT_POLICY_NAME = "fr-D223-9"
_DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FRENCH_DAYS = ("lun", "mar", "mer", "jeu", "ven", "sam", "dim")


def _day(name: str) -> str:
    """``"Monday"``, ``"mon"``, ``"lundi"`` -> ``"mon"`` (unknown names pass through)."""
    short = name.strip().lower()[:3]
    if short in _FRENCH_DAYS:
        return _DAY_NAMES[_FRENCH_DAYS.index(short)]
    return short


# Overseas territories that share French law: phonenumbers region -> (time zone,
# subdivision code of holidays.France). The zone table settles numbers whose prefix
# phonenumbers maps to two zones (a +262 692 mobile is in Réunion, not Mayotte).
FRENCH_TERRITORIES: dict[str, tuple[str, str]] = {
    "GP": ("America/Guadeloupe", "971"),
    "MQ": ("America/Martinique", "972"),
    "GF": ("America/Cayenne", "973"),
    "RE": ("Indian/Reunion", "974"),
    "YT": ("Indian/Mayotte", "976"),
    "BL": ("America/St_Barthelemy", "BL"),
    "MF": ("America/Marigot", "MF"),
    "PM": ("America/Miquelon", "PM"),
    "NC": ("Pacific/Noumea", "NC"),
    "PF": ("Pacific/Tahiti", "PF"),
    "WF": ("Pacific/Wallis", "WF"),
}
# Alsace-Moselle keeps two more holidays (Good Friday, 26 December). Only landlines say
# where they are: 03 87 (Moselle), 03 88 (Bas-Rhin), 03 89 (Haut-Rhin).
_ALSACE_MOSELLE_PREFIXES = {"387": "57", "388": "6AE", "389": "6AE"}


class Reason:
    """The ``Decision.reason`` codes."""

    ALLOWED = "allowed"
    ALLOWED_CONSENT = "allowed_consent"  # outside days/hours, but the contact consented
    OPTED_OUT = "opted_out"
    BLOCKLISTED = "blocklisted"
    INVALID_NUMBER = "invalid_number"
    ATTEMPT_CAP = "attempt_cap"
    REFUSAL_COOLOFF = "refusal_cooloff"
    HOLIDAY = "holiday"
    DAY = "day"
    HOURS = "hours"


class Window(BaseModel):
    """A daily calling window on the callee's clock, ``start`` included, ``end`` excluded."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    start: time
    end: time

    @model_validator(mode="before")
    @classmethod
    def _from_text(cls, value: Any) -> Any:
        # "10:00-13:00" or ["10:00", "13:00"]
        if isinstance(value, str) and "-" in value:
            start, _, end = value.partition("-")
            return {"start": start.strip(), "end": end.strip()}
        if isinstance(value, list | tuple) and len(value) == 2:
            return {"start": value[0], "end": value[1]}
        return value

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end <= self.start:
            raise ValueError(f"window end {self.end} must be after its start {self.start}")
        return self

    def __str__(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


class CallingPolicy(BaseModel):
    """A calling policy; the defaults are French law (D223-9). Per campaign: ``[policy]``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = DEFAULT_POLICY_NAME
    days: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri")
    windows: tuple[Window, ...] = (
        Window(start=time(10), end=time(13)),
        Window(start=time(14), end=time(20)),
    )
    holidays_country: str | None = "FR"  # None: no holiday calendar
    default_timezone: str = "Europe/Paris"  # when the number says nothing about its zone
    # bounded so that "now - period" stays a date
    max_attempts: int = Field(default=4, ge=1, le=1000)
    attempts_period_days: int = Field(default=30, ge=1, le=3660)
    refusal_cooloff_days: int = Field(default=60, ge=0, le=3660)
    refusal_results: tuple[str, ...] = ("NOT_INTERESTED",)
    consent_overrides_hours: bool = True

    @field_validator("days", mode="before")
    @classmethod
    def _days(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            days = tuple(_day(str(d)) for d in value)
            bad = [d for d in days if d not in _DAY_NAMES]
            if bad:
                raise ValueError(f"unknown day {bad[0]!r} (use mon, tue, wed, thu, fri, sat, sun)")
            if not days:
                raise ValueError("at least one calling day is needed")
            return days
        return value

    @field_validator("windows")
    @classmethod
    def _windows(cls, value: tuple[Window, ...]) -> tuple[Window, ...]:
        if not value:
            raise ValueError("at least one calling window is needed")
        ordered = tuple(sorted(value, key=lambda w: w.start))
        for a, b in itertools.pairwise(ordered):
            if b.start < a.end:
                raise ValueError(f"windows {a} and {b} overlap")
        return ordered

    @field_validator("refusal_results")
    @classmethod
    def _results(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        known = [r.value for r in Result]
        for name in value:
            if name not in known:
                close = suggest(name, known)
                hint = f"did you mean {close!r}?" if close else f"one of {', '.join(known)}"
                raise ValueError(f"unknown result {name!r}: {hint}")
        return value

    @field_validator("default_timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except Exception:
            raise ValueError(f"unknown time zone {value!r}") from None
        return value

    @field_validator("holidays_country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if value.upper() not in holidays_lib.list_supported_countries():
            raise ValueError(f"the holidays package has no calendar for {value!r}")
        return value.upper()

    def describe(self) -> dict[str, Any]:
        """What gets recorded on each call: the policy's name and every setting."""
        described: dict[str, Any] = json.loads(self.model_dump_json())
        return described

    def weekday_numbers(self) -> frozenset[int]:
        return frozenset(_DAY_NAMES.index(d) for d in self.days)


@dataclass(frozen=True)
class ContactHistory:
    """What the law needs to know about a contact, across all campaigns.

    ``attempts`` are the times (aware UTC) of every solicitation already made or under
    way; ``refusals`` the times the contact refused during a call.
    """

    attempts: Sequence[datetime] = ()
    refusals: Sequence[datetime] = ()
    opted_out: bool = False
    blocklisted: bool = False
    consent: bool = False


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str
    next_allowed_at: datetime | None  # ``now`` when allowed; None when never
    detail: str = ""


@dataclass(frozen=True)
class CalleeClock:
    """Where a number rings: its zones and the holiday calendar that applies there."""

    zones: tuple[ZoneInfo, ...]
    holidays: holidays_lib.HolidayBase | None = field(compare=False)
    region: str


class InvalidNumber(CampaignError, InputError, ValueError):
    pass


class CallingLaw:
    """A :class:`CallingPolicy` put to work: ``decide`` and ``next_window``."""

    def __init__(self, policy: CallingPolicy | None = None) -> None:
        self.policy = policy or CallingPolicy()
        self._weekdays = self.policy.weekday_numbers()

    # ------------------------------------------------------------------ callee

    def clock_for(self, phone: str) -> CalleeClock:
        try:
            number = phonenumbers.parse(phone, None)
        except phonenumbers.NumberParseException as exc:
            raise InvalidNumber(f"not an E.164 number: {phone!r} ({exc})") from None
        if not phonenumbers.is_valid_number(number):
            raise InvalidNumber(f"invalid number {phone!r}")
        region = phonenumbers.region_code_for_number(number) or ""
        return _clock(number, region, self.policy.holidays_country, self.policy.default_timezone)

    def _open_at(self, clock: CalleeClock, at: datetime) -> str | None:
        """None when ``at`` is inside a window on every zone, else the reason code."""
        for zone in clock.zones:
            local = at.astimezone(zone)
            if local.weekday() not in self._weekdays:
                return Reason.DAY
            if _is_holiday(clock.holidays, local.date()):
                return Reason.HOLIDAY
            t = local.time().replace(tzinfo=None)
            if not any(w.start <= t < w.end for w in self.policy.windows):
                return Reason.HOURS
        return None

    def is_open(self, phone: str, at: datetime) -> bool:
        return self._open_at(self.clock_for(phone), _utc(at)) is None

    def next_window(self, phone: str, after: datetime) -> datetime:
        """The earliest instant at or after ``after`` inside a calling window (aware UTC)."""
        return self._next_open(self.clock_for(phone), _utc(after))

    def _next_open(self, clock: CalleeClock, after: datetime) -> datetime:
        candidate = after
        # Zones are settled one after another until all agree (one pass for one zone).
        for _ in range(64):
            moved = False
            for zone in clock.zones:
                found = self._next_open_in(zone, clock.holidays, candidate)
                if found != candidate:
                    candidate, moved = found, True
            if not moved and self._open_at(clock, candidate) is None:
                return candidate
        raise ValueError(f"no common calling window for the zones of region {clock.region}")

    def _next_open_in(
        self, zone: ZoneInfo, hols: holidays_lib.HolidayBase | None, after: datetime
    ) -> datetime:
        local_day = after.astimezone(zone).date()
        for offset in range(800):
            day = local_day + timedelta(days=offset)
            if day.weekday() not in self._weekdays or _is_holiday(hols, day):
                continue
            for w in self.policy.windows:
                start = _local_to_utc(day, w.start, zone)
                end = _local_to_utc(day, w.end, zone)
                if after >= end:
                    continue
                found = max(after, start)
                # A window edge inside a DST gap: step until the local clock agrees.
                while found < end and not self._inside(zone, hols, found):
                    found += timedelta(minutes=15)
                if found < end:
                    return found
        raise ValueError("the policy opens no calling window in the next two years")

    def _inside(self, zone: ZoneInfo, hols: holidays_lib.HolidayBase | None, at: datetime) -> bool:
        local = at.astimezone(zone)
        if local.weekday() not in self._weekdays or _is_holiday(hols, local.date()):
            return False
        t = local.time().replace(tzinfo=None)
        return any(w.start <= t < w.end for w in self.policy.windows)

    # ------------------------------------------------------------------ decide

    def decide(self, history: ContactHistory, phone: str, now_utc: datetime) -> Decision:
        """May ``phone`` be dialled at ``now_utc``? If not, when next?"""
        now = _utc(now_utc)
        if history.blocklisted:
            return Decision(False, Reason.BLOCKLISTED, None, "number is on the blocklist")
        if history.opted_out:
            return Decision(False, Reason.OPTED_OUT, None, "contact asked not to be called")
        try:
            clock = self.clock_for(phone)
        except InvalidNumber as exc:
            return Decision(False, Reason.INVALID_NUMBER, None, str(exc))

        earliest, reason, detail = now, "", ""
        cap_until = self._cap_lifted_at(history.attempts)
        if cap_until is not None and cap_until > earliest:
            earliest, reason = cap_until, Reason.ATTEMPT_CAP
            detail = (
                f"{self.policy.max_attempts} attempts already in "
                f"{self.policy.attempts_period_days} days"
            )
        cool_until = self._cooloff_until(history.refusals)
        if cool_until is not None and cool_until > earliest:
            earliest, reason = cool_until, Reason.REFUSAL_COOLOFF
            detail = f"refused less than {self.policy.refusal_cooloff_days} days ago"

        consent = history.consent and self.policy.consent_overrides_hours
        if not consent:
            closed = self._open_at(clock, now)
            if not reason and closed:
                reason = closed
                detail = self._closed_detail(clock, now, closed)
            earliest = self._next_open(clock, earliest)
        if earliest == now:
            why = Reason.ALLOWED
            if consent and self._open_at(clock, now) is not None:
                why = Reason.ALLOWED_CONSENT
            return Decision(True, why, now)
        return Decision(False, reason or Reason.HOURS, earliest, detail)

    def _cap_lifted_at(self, attempts: Sequence[datetime]) -> datetime | None:
        """When fewer than ``max_attempts`` fall in the trailing period (None: already)."""
        n = self.policy.max_attempts
        if len(attempts) < n:
            return None
        recent = sorted((_utc(a) for a in attempts), reverse=True)
        return recent[n - 1] + timedelta(days=self.policy.attempts_period_days)

    def _cooloff_until(self, refusals: Sequence[datetime]) -> datetime | None:
        if not refusals or self.policy.refusal_cooloff_days == 0:
            return None
        return max(_utc(r) for r in refusals) + timedelta(days=self.policy.refusal_cooloff_days)

    def _closed_detail(self, clock: CalleeClock, now: datetime, reason: str) -> str:
        local = now.astimezone(clock.zones[0])
        where = f"{local:%A %Y-%m-%d %H:%M} {clock.zones[0].key}"
        if reason == Reason.HOLIDAY and clock.holidays is not None:
            with _HOLIDAYS_LOCK:
                name = clock.holidays.get(local.date())
            return f"public holiday ({name}) on {where}"
        if reason == Reason.DAY:
            return f"no calls on {where}"
        windows = ", ".join(str(w) for w in self.policy.windows)
        return f"outside {windows} on {where}"


# ---------------------------------------------------------------------- helpers


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: the law works on aware UTC times")
    return value.astimezone(UTC)


def _local_to_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


# holidays calendars fill in a year the first time it is asked about: one at a time.
_HOLIDAYS_LOCK = threading.Lock()


def _is_holiday(calendar: holidays_lib.HolidayBase | None, day: date) -> bool:
    if calendar is None:
        return False
    with _HOLIDAYS_LOCK:
        return day in calendar


@functools.lru_cache(maxsize=64)
def _calendar(country: str, subdiv: str | None) -> holidays_lib.HolidayBase | None:
    try:
        return holidays_lib.country_holidays(country, subdiv=subdiv)
    except NotImplementedError:
        return None


@functools.lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _clock(
    number: phonenumbers.PhoneNumber, region: str, country: str | None, default_tz: str
) -> CalleeClock:
    """Zones and holidays for a callee in ``region`` (a phonenumbers region code)."""
    national = str(number.national_number)
    if region in FRENCH_TERRITORIES:
        tz_name, territory = FRENCH_TERRITORIES[region]
        hols = _calendar("FR", territory) if country == "FR" else _calendar_or_none(country)
        return CalleeClock((_zone(tz_name),), hols, region)
    names = [z for z in pn_timezone.time_zones_for_number(number) if z != "Etc/Unknown"]
    zones: tuple[ZoneInfo, ...] = tuple(_zone(n) for n in names) or (_zone(default_tz),)
    if region == "FR" and country == "FR":
        local_law = next(
            (s for p, s in _ALSACE_MOSELLE_PREFIXES.items() if national.startswith(p)), None
        )
        return CalleeClock(zones, _calendar("FR", local_law), region)
    # A callee abroad: their own country's days off when the package knows them.
    hols = _calendar(region, None) if region else None
    if hols is None:
        hols = _calendar_or_none(country)
    return CalleeClock(zones, hols, region)


def _calendar_or_none(country: str | None) -> holidays_lib.HolidayBase | None:
    return _calendar(country, None) if country else None
