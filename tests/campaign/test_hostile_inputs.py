"""Hostile contact and campaign files: one clear line per problem, naming the file,
line or field, and every good row kept. Never a traceback, never a hang."""

from __future__ import annotations

from pathlib import Path

import pytest

from mbs.campaign.config import CampaignFileError, parse_campaign
from mbs.campaign.contacts import read_contacts

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.parametrize(
    "text",
    [
        '[{"phone": "+33612345601"}, {"phone": "+33612345602", "x": DEEP}, {"phone": "+33612345603"}]',
        '{"contacts": [{"phone": "+33612345601"}, DEEP, {"phone": "+33612345603"}]}',
        '[{"phone": "+33612345601"}, {"phone": "+33612345602", "x": [[[[[[[[[[1]]]]]]]]]]}, '
        '{"phone": "+33612345603"}]',
    ],
)
def test_json_nested_deep_rejects_that_contact_and_keeps_the_others(
    text: str, tmp_path: Path
) -> None:
    path = tmp_path / "c.json"
    path.write_text(text.replace("DEEP", DEEP), encoding="utf-8")
    result = read_contacts(path)
    assert [c.phone for c in result.contacts] == ["+33612345601", "+33612345603"]
    (rejected,) = result.rejected
    assert rejected.row == 2 and "nested more than 8 levels deep" in rejected.reason


def test_an_invalid_consent_date_is_reported_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        "phone;consent;consent_date\n+33612345601;oui;31/02/2026\n+33612345602;oui;28/02/2026\n",
        encoding="utf-8",
    )
    result = read_contacts(path)
    ((row, reason),) = [(r.row, r.reason) for r in result.rejected]
    assert row == 2 and "'31/02/2026' is not a date" in reason and "consent_date" in reason
    (kept,) = result.contacts
    assert kept.phone == "+33612345602" and kept.consent_at is not None
    assert kept.consent_at.day == 28


def test_an_unterminated_quote_is_reported_on_its_line_and_later_rows_kept(
    tmp_path: Path,
) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        'phone;name\n+33612345601;Anne\n+33612345602;"Paul\n+33612345603;Jean\n+33612345604;Luc\n',
        encoding="utf-8",
    )
    result = read_contacts(path)
    assert [c.phone for c in result.contacts] == ["+33612345601", "+33612345603", "+33612345604"]
    ((row, reason),) = [(r.row, r.reason) for r in result.rejected]
    assert row == 3 and reason.startswith('unterminated quote: a " on this line never closes')


def test_a_quote_running_past_the_field_limit_is_reported_and_later_rows_kept(
    tmp_path: Path,
) -> None:
    filler = "".join(f"note {i}\n" for i in range(20_000))  # 200 KB inside the quote
    path = tmp_path / "c.csv"
    path.write_text(
        f'phone;name\n+33612345601;"Anne\n{filler}+33612345602;Paul\n', encoding="utf-8"
    )
    result = read_contacts(path)
    assert "+33612345602" in [c.phone for c in result.contacts]
    assert result.rejected[0].row == 2
    assert result.rejected[0].reason.startswith("unterminated quote")


HEAD = 'name = "x"\nscenario = "s.mbs"\n'


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            '[retry]\nno_answer_delay = "99999999999d"\n',
            "c.toml:4: retry.no_answer_delay: duration '99999999999d' is longer than the "
            "maximum, 366d",
        ),
        ("[retry]\nbusy_delay = 1e400\n", "c.toml:4: retry.busy_delay: duration inf is longer"),
        ("[sim]\ntime_scale = inf\n", "c.toml:4: sim.time_scale: Input should be a finite number"),
        ("[sim]\ntime_scale = nan\n", "c.toml:4: sim.time_scale: Input should be a finite number"),
        (
            "[sim]\ntime_scale = 1e-300\n",
            "c.toml:4: sim.time_scale: Input should be greater than or equal to 0.01",
        ),
        (
            '[sim]\nstart = "0001-01-01T10:00:00+00:00"\n',
            "c.toml:4: sim.start: start time '0001-01-01T10:00:00+00:00' is not between",
        ),
        (
            '[sim]\nstart = "9999-12-31T23:00:00+00:00"\n',
            "c.toml:4: sim.start: start time '9999-12-31T23:00:00+00:00' is not between",
        ),
        (
            "[policy]\nattempts_period_days = 99999999999\n",
            "c.toml:4: policy.attempts_period_days: Input should be less than or equal to 3660",
        ),
    ],
)
def test_out_of_range_settings_name_key_and_line(extra: str, expected: str) -> None:
    with pytest.raises(CampaignFileError) as caught:
        parse_campaign(HEAD + extra, Path("c.toml"), check_paths=False)
    (line,) = caught.value.lines()
    assert line.startswith(expected), line
