"""Headers parsed from text/event-plain decode their values on lookup: same answers."""

from __future__ import annotations

from mbs.freeswitch.esl import Headers
from mbs.freeswitch.esl.bodies import decode_plain, encode_plain

PAIRS = [
    ("Event-Name", "CHANNEL_HANGUP_COMPLETE"),
    ("Unique-ID", "a1b2"),
    ("Hangup-Cause", "NORMAL_CLEARING"),
    ("Event-Date-Local", "2026-11-25 12:00:00"),
    ("variable_empty", ""),
    ("variable_line", "one\ntwo: three"),
    ("Hangup-Cause", "USER_BUSY"),
    ("variable_pct", "100%"),
]


def test_coded_headers_answer_as_decoded_ones() -> None:
    eager = Headers(PAIRS)
    headers, body = decode_plain(encode_plain(eager, "a body\n"))
    assert body == "a body\n"
    assert headers["Event-Date-Local"] == "2026-11-25 12:00:00"
    assert headers.get("variable_line") == "one\ntwo: three"
    assert headers.get("variable_empty") == ""
    assert headers["hangup-cause"] == "NORMAL_CLEARING"  # case folded, first value
    assert headers.get_all("Hangup-Cause") == ["NORMAL_CLEARING", "USER_BUSY"]
    assert headers.get("VARIABLE_PCT") == "100%"
    assert headers.get("missing", "x") == "x"
    assert "unique-id" in headers and "nope" not in headers
    assert headers.pairs == eager.pairs
    assert headers == eager and hash(headers) == hash(eager)
    assert list(headers) == list(eager) and len(headers) == len(eager)
    assert headers.with_header("X", "y").pairs[-1] == ("X", "y")
