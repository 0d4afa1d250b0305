"""The calling law: D223-9 by default, on the callee's clock, with caps and cool-offs."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
import phonenumbers
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from mbs.campaign.law import CallingLaw, CallingPolicy, ContactHistory, Reason

LAW = CallingLaw()
PARIS_MOBILE = "+33612345678"
REUNION_MOBILE = "+262692123456"
MARTINIQUE_FIXED = "+596596301234"
MOSELLE_FIXED = "+33387123456"

# The expectation, written independently of law.py: prefix -> (zone, holidays calendar).
EXPECTED = {
    "+262692": ("Indian/Reunion", holidays.France(subdiv="974")),
    "+262262": ("Indian/Reunion", holidays.France(subdiv="974")),
    "+262639": ("Indian/Mayotte", holidays.France(subdiv="976")),
    "+596696": ("America/Martinique", holidays.France(subdiv="972")),
    "+596596": ("America/Martinique", holidays.France(subdiv="972")),
    "+590690": ("America/Guadeloupe", holidays.France(subdiv="971")),
    "+594694": ("America/Cayenne", holidays.France(subdiv="973")),
    "+33387": ("Europe/Paris", holidays.France(subdiv="57")),
    "+336": ("Europe/Paris", holidays.France()),
    "+337": ("Europe/Paris", holidays.France()),
    "+331": ("Europe/Paris", holidays.France()),
    "+334": ("Europe/Paris", holidays.France()),
}


def expected_open(phone: str, at: datetime) -> bool:
    prefix = max((p for p in EXPECTED if phone.startswith(p)), key=len)
    zone, cal = EXPECTED[prefix]
    local = at.astimezone(ZoneInfo(zone))
    t = local.time()
    in_hours = time(10) <= t < time(13) or time(14) <= t < time(20)
    return local.weekday() < 5 and local.date() not in cal and in_hours


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# ------------------------------------------------------------------ strategies

instants = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2031, 12, 31), timezones=st.just(UTC)
)


@st.composite
def numbers(draw: st.DrawFn) -> str:
    prefix = draw(st.sampled_from(sorted(EXPECTED)))
    total = 11 if prefix.startswith("+33") else 12  # digits after the "+"
    size = total - (len(prefix) - 1)
    tail = draw(st.text("0123456789", min_size=size, max_size=size))
    phone = prefix + tail
    assume(phonenumbers.is_valid_number(phonenumbers.parse(phone)))
    return phone


@st.composite
def histories(draw: st.DrawFn, around: datetime) -> ContactHistory:
    offsets = st.integers(min_value=-90 * 24 * 60, max_value=0).map(lambda m: timedelta(minutes=m))
    attempts = draw(st.lists(offsets, max_size=8))
    refusals = draw(st.lists(offsets, max_size=2))
    return ContactHistory(
        attempts=[around + a for a in attempts],
        refusals=[around + r for r in refusals],
        consent=draw(st.booleans()),
    )


# ------------------------------------------------------------------ properties


@settings(max_examples=300, deadline=None)
@given(phone=numbers(), now=instants)
def test_allowed_exactly_inside_the_law(phone: str, now: datetime) -> None:
    decision = LAW.decide(ContactHistory(), phone, now)
    assert decision.allowed == expected_open(phone, now)
    if not decision.allowed:
        assert decision.reason in {Reason.DAY, Reason.HOURS, Reason.HOLIDAY}


@settings(max_examples=300, deadline=None)
@given(phone=numbers(), now=instants)
def test_next_allowed_is_allowed_and_earliest(phone: str, now: datetime) -> None:
    decision = LAW.decide(ContactHistory(), phone, now)
    nxt = decision.next_allowed_at
    assert nxt is not None and nxt >= now
    assert expected_open(phone, nxt)
    assert LAW.decide(ContactHistory(), phone, nxt).allowed
    if nxt > now:
        # nothing legal was skipped: a second before, and halfway, were closed
        assert not expected_open(phone, nxt - timedelta(seconds=1))
        assert not expected_open(phone, now + (nxt - now) / 2) or (nxt - now) < timedelta(seconds=2)
    assert LAW.next_window(phone, now) == nxt


@settings(max_examples=300, deadline=None)
@given(data=st.data(), phone=numbers(), now=instants)
def test_history_caps_and_cooloff(data: st.DataObject, phone: str, now: datetime) -> None:
    history = data.draw(histories(now))
    decision = LAW.decide(history, phone, now)
    nxt = decision.next_allowed_at
    assert nxt is not None
    for at in {now, nxt} if decision.allowed else {nxt}:
        recent = [a for a in history.attempts if a > at - timedelta(days=30)]
        assert len(recent) < 4
        assert all(at >= r + timedelta(days=60) for r in history.refusals)
        if not history.consent:
            assert expected_open(phone, at)
    assert LAW.decide(history, phone, nxt).allowed


@settings(max_examples=60, deadline=None)
@given(phone=numbers(), start=instants, consent=st.booleans())
def test_dialling_at_every_next_allowed_keeps_rolling_cap(
    phone: str, start: datetime, consent: bool
) -> None:
    attempts: list[datetime] = []
    now = start
    for _ in range(12):
        history = ContactHistory(attempts=attempts, consent=consent)
        decision = LAW.decide(history, phone, now)
        if not decision.allowed:
            assert decision.next_allowed_at is not None
            now = decision.next_allowed_at
            continue
        attempts.append(now)
        now += timedelta(minutes=17)
    for first in attempts:
        in_window = [a for a in attempts if first <= a < first + timedelta(days=30)]
        assert len(in_window) <= 4
    if not consent:
        assert all(expected_open(phone, a) for a in attempts)


@given(phone=numbers(), now=instants, consent=st.booleans())
def test_opted_out_and_blocklisted_never(phone: str, now: datetime, consent: bool) -> None:
    for history in (
        ContactHistory(opted_out=True, consent=consent),
        ContactHistory(blocklisted=True, consent=consent),
    ):
        decision = LAW.decide(history, phone, now)
        assert not decision.allowed and decision.next_allowed_at is None


# ------------------------------------------------------------------ examples


def test_reunion_is_judged_on_its_own_clock() -> None:
    # Tuesday 10 March 2026, 09:30 UTC: 10:30 in Paris, 13:30 in Réunion (lunch break).
    now = utc(2026, 3, 10, 9, 30)
    assert LAW.decide(ContactHistory(), PARIS_MOBILE, now).allowed
    d = LAW.decide(ContactHistory(), REUNION_MOBILE, now)
    assert (d.allowed, d.reason) == (False, Reason.HOURS)
    assert d.next_allowed_at == utc(2026, 3, 10, 10, 0)  # 14:00 Indian/Reunion
    assert "Indian/Reunion" in d.detail


def test_martinique_morning_waits_for_ten_local() -> None:
    d = LAW.decide(ContactHistory(), MARTINIQUE_FIXED, utc(2026, 3, 10, 9, 30))
    assert d.reason == Reason.HOURS
    assert d.next_allowed_at == utc(2026, 3, 10, 14, 0)  # 10:00 America/Martinique


def test_territory_holidays() -> None:
    # 20 December: abolition of slavery in Réunion, an ordinary Monday in Paris (2027).
    now = utc(2027, 12, 20, 10, 0)  # 11:00 Paris, 14:00 Réunion
    assert LAW.decide(ContactHistory(), PARIS_MOBILE, now).allowed
    d = LAW.decide(ContactHistory(), "+262262123456", now)
    assert d.reason == Reason.HOLIDAY and "Abolition" in d.detail
    # Good Friday is a holiday in Moselle only.
    good_friday = utc(2026, 4, 3, 12, 0)
    assert LAW.decide(ContactHistory(), PARIS_MOBILE, good_friday).allowed
    assert LAW.decide(ContactHistory(), MOSELLE_FIXED, good_friday).reason == Reason.HOLIDAY


def test_saturday_and_national_holiday() -> None:
    d = LAW.decide(ContactHistory(), PARIS_MOBILE, utc(2026, 3, 14, 10, 0))
    assert d.reason == Reason.DAY and d.next_allowed_at == utc(2026, 3, 16, 9, 0)
    d = LAW.decide(ContactHistory(), PARIS_MOBILE, utc(2026, 7, 14, 10, 0))
    assert d.reason == Reason.HOLIDAY and d.next_allowed_at == utc(2026, 7, 15, 8, 0)


def test_window_edges() -> None:
    # 20:00 Paris is closed (end excluded), 13:00 too, 10:00 and 14:00 open (summer: UTC+2)
    assert not LAW.decide(ContactHistory(), PARIS_MOBILE, utc(2026, 6, 2, 18, 0)).allowed
    assert LAW.decide(ContactHistory(), PARIS_MOBILE, utc(2026, 6, 2, 17, 59, 59)).allowed
    assert not LAW.decide(ContactHistory(), PARIS_MOBILE, utc(2026, 6, 2, 11, 0)).allowed
    assert LAW.decide(ContactHistory(), PARIS_MOBILE, utc(2026, 6, 2, 12, 0)).allowed
    assert LAW.decide(ContactHistory(), PARIS_MOBILE, utc(2026, 6, 2, 8, 0)).allowed


def test_fifth_attempt_waits_thirty_days_after_the_oldest_of_four() -> None:
    base = utc(2026, 3, 2, 9, 0)  # a Monday, 10:00 Paris
    attempts = [base + timedelta(days=i) for i in range(4)]
    now = base + timedelta(days=4)
    d = LAW.decide(ContactHistory(attempts=attempts), PARIS_MOBILE, now)
    assert d.reason == Reason.ATTEMPT_CAP
    assert d.next_allowed_at == base + timedelta(days=30)  # 1 April 2026 11:00 Paris, a Wednesday


def test_refusal_cooloff_sixty_days() -> None:
    refused = utc(2026, 3, 2, 9, 0)
    d = LAW.decide(ContactHistory(refusals=[refused]), PARIS_MOBILE, refused + timedelta(days=59))
    assert d.reason == Reason.REFUSAL_COOLOFF
    assert d.next_allowed_at is not None and d.next_allowed_at >= refused + timedelta(days=60)


def test_consent_allows_sunday_but_not_over_the_cap() -> None:
    sunday = utc(2026, 3, 15, 21, 0)
    d = LAW.decide(ContactHistory(consent=True), PARIS_MOBILE, sunday)
    assert (d.allowed, d.reason) == (True, Reason.ALLOWED_CONSENT)
    recent = [sunday - timedelta(hours=h) for h in range(1, 5)]
    d = LAW.decide(ContactHistory(consent=True, attempts=recent), PARIS_MOBILE, sunday)
    assert d.reason == Reason.ATTEMPT_CAP
    strict = CallingLaw(CallingPolicy(consent_overrides_hours=False))
    assert strict.decide(ContactHistory(consent=True), PARIS_MOBILE, sunday).reason == Reason.DAY


def test_invalid_number_is_refused() -> None:
    d = LAW.decide(ContactHistory(), "+3312", utc(2026, 3, 10, 9, 30))
    assert (d.allowed, d.reason, d.next_allowed_at) == (False, Reason.INVALID_NUMBER, None)


def test_custom_policy_and_serialisation() -> None:
    policy = CallingPolicy.model_validate(
        {
            "name": "saturday-morning",
            "days": ["Saturday"],
            "windows": ["09:00-12:00"],
            "max_attempts": 2,
        }
    )
    law = CallingLaw(policy)
    assert law.decide(ContactHistory(), PARIS_MOBILE, utc(2026, 3, 14, 8, 30)).allowed
    assert not law.decide(ContactHistory(), PARIS_MOBILE, utc(2026, 3, 16, 8, 30)).allowed
    described = policy.describe()
    assert described["name"] == "saturday-morning"
    assert described["windows"] == [{"start": "09:00:00", "end": "12:00:00"}]
    assert CallingPolicy.model_validate(described) == policy


def test_day_names_in_english_and_french() -> None:
    policy = CallingPolicy.model_validate({"days": ["Lundi", "mardi", "Wednesday", "sun"]})
    assert policy.days == ("mon", "tue", "wed", "sun")


@pytest.mark.parametrize(
    "bad",
    [
        {"days": ["funday"]},
        {"days": []},
        {"windows": ["13:00-10:00"]},
        {"windows": ["10:00-13:00", "12:00-14:00"]},
        {"windows": []},
        {"default_timezone": "Mars/Olympus"},
        {"holidays_country": "XX"},
        {"max_attempts": 0},
        {"unknown_key": 1},
    ],
)
def test_bad_policies_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        CallingPolicy.model_validate(bad)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        LAW.decide(ContactHistory(), PARIS_MOBILE, datetime(2026, 3, 10, 10, 0))
