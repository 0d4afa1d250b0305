"""FreeSWITCH event header blocks, in the order FreeSWITCH 1.10.12 writes them.

An event is a list of ``(name, value)`` pairs; order and repeats matter on the wire.
FreeSWITCH builds each one in the same steps, and so does this module:

1. the base block, added when the event is created (``switch_event.c``
   ``switch_event_prep_for_delivery_detailed``), then ``Event-Subclass`` on CUSTOM;
2. headers the firing code adds before the channel data (``Hangup-Cause`` on
   HANGUP_COMPLETE, ``Speech-Type`` on DETECTED_SPEECH, the ``Original-Channel-Call-State``
   pair on CHANNEL_CALLSTATE);
3. the channel block (``switch_channel.c`` ``switch_channel_event_set_basic_data`` and
   ``switch_caller.c`` ``switch_caller_profile_event_set_data``);
4. ``variable_*`` headers, only for the event types FreeSWITCH whitelists in
   ``switch_channel_event_set_extended_data`` (not CHANNEL_STATE, CALLSTATE, DTMF or
   DETECTED_SPEECH);
5. event-specific headers (Application-*, Playback-*, DTMF-*), then an optional body.

``Event-Calling-*`` values are the call sites in the v1.10.12 sources, so a capture
from the simulator reads like one from the switch.
"""

from __future__ import annotations

import email.utils
import itertools
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

Header = tuple[str, str]

# Event name -> (Event-Calling-File, Event-Calling-Function, Event-Calling-Line-Number).
CALL_SITES: dict[str, tuple[str, str, int]] = {
    "CHANNEL_STATE": ("switch_channel.c", "switch_channel_perform_set_running_state", 2408),
    "CHANNEL_CALLSTATE": ("switch_channel.c", "switch_channel_perform_set_callstate", 301),
    "CHANNEL_CREATE": ("switch_core_state_machine.c", "switch_core_session_run", 626),
    "CHANNEL_ORIGINATE": ("switch_core_state_machine.c", "switch_core_session_run", 632),
    "CHANNEL_PROGRESS": ("switch_channel.c", "switch_channel_perform_mark_ring_ready_value", 3505),
    "CHANNEL_PROGRESS_MEDIA": (
        "switch_channel.c",
        "switch_channel_perform_mark_pre_answered",
        3560,
    ),
    "CHANNEL_ANSWER": ("switch_channel.c", "switch_channel_perform_mark_answered", 3846),
    "CHANNEL_HANGUP": ("switch_channel.c", "switch_channel_perform_hangup", 3445),
    "CHANNEL_HANGUP_COMPLETE": (
        "switch_core_state_machine.c",
        "switch_core_session_reporting_state",
        943,
    ),
    "CHANNEL_DESTROY": ("switch_core_session.c", "switch_core_session_perform_destroy", 1584),
    "CHANNEL_EXECUTE": ("switch_core_session.c", "switch_core_session_exec", 2944),
    "CHANNEL_EXECUTE_COMPLETE": ("switch_core_session.c", "switch_core_session_exec", 2967),
    "CHANNEL_PARK": ("switch_ivr.c", "switch_ivr_park", 1002),
    "PLAYBACK_START": ("switch_ivr_play_say.c", "switch_ivr_play_file", 1646),
    "PLAYBACK_STOP": ("switch_ivr_play_say.c", "switch_ivr_play_file", 2020),
    "DTMF": ("switch_channel.c", "switch_channel_dequeue_dtmf", 677),
    "RECORD_START": ("switch_ivr_async.c", "record_callback", 1481),
    "RECORD_STOP": ("switch_ivr_async.c", "send_record_stop_event", 1240),
    "DETECTED_SPEECH": ("switch_ivr_async.c", "speech_thread", 5070),
    "HEARTBEAT": ("switch_core.c", "send_heartbeat", 95),
    "BACKGROUND_JOB": ("mod_event_socket.c", "api_exec", 1572),
    "CHANNEL_DATA": ("mod_event_socket.c", "parse_command", 2021),
    "CUSTOM": ("mod_event_socket.c", "parse_command", 2275),  # sendevent
}
AVMD_SITE = ("mod_avmd.c", "avmd_fire_event", 700)
AUDIO_FORK_SITE = ("mod_audio_fork.c", "responseHandler", 36)  # line varies by module version

# switch_channel_event_set_extended_data: the events that carry variable_* headers.
VARIABLE_EVENTS = frozenset(
    {
        "CHANNEL_CREATE",
        "CHANNEL_ORIGINATE",
        "CHANNEL_UUID",
        "CHANNEL_ANSWER",
        "CHANNEL_PARK",
        "CHANNEL_UNPARK",
        "CHANNEL_BRIDGE",
        "CHANNEL_UNBRIDGE",
        "CHANNEL_PROGRESS",
        "CHANNEL_PROGRESS_MEDIA",
        "CHANNEL_HANGUP",
        "CHANNEL_HANGUP_COMPLETE",
        "REQUEST_PARAMS",
        "CHANNEL_DATA",
        "CHANNEL_EXECUTE",
        "CHANNEL_EXECUTE_COMPLETE",
        "CHANNEL_DESTROY",
        "SESSION_HEARTBEAT",
        "API",
        "RECORD_START",
        "RECORD_STOP",
        "PLAYBACK_START",
        "PLAYBACK_STOP",
        "CALL_UPDATE",
        "MEDIA_BUG_START",
        "MEDIA_BUG_STOP",
        "CHANNEL_HOLD",
        "CHANNEL_UNHOLD",
        "TEXT",
        "CUSTOM",
    }
)

VERSION = "1.10.12-release~64bit"
VERSION_HUMAN = "1.10.12-release 64bit"


@dataclass(frozen=True, slots=True)
class FsEvent:
    """One event as FreeSWITCH would queue it: ordered headers (repeats kept) and a body."""

    headers: tuple[Header, ...]
    body: str | None = None

    @property
    def name(self) -> str:
        return self.get("Event-Name") or ""

    def get(self, name: str) -> str | None:
        """First value of ``name``, compared case-insensitively as FreeSWITCH does."""
        low = name.lower()
        for key, value in self.headers:
            if key.lower() == low:
                return value
        return None

    def names(self) -> list[str]:
        return [key for key, _ in self.headers]


@dataclass(frozen=True)
class SwitchIdentity:
    """What the base block says about the switch."""

    core_uuid: str = "7f3c2a10-1111-4a6e-9d2f-0c9c1e7a0001"
    hostname: str = "mbs-sim"
    switchname: str = "mbs-sim"
    ipv4: str = "127.0.0.1"
    ipv6: str = "::1"


class ChannelView(Protocol):
    """The parts of a channel that its header block shows (see channel.py)."""

    def channel_headers(self) -> list[Header]: ...

    def variable_headers(self) -> list[Header]: ...


@dataclass
class EventFactory:
    """Builds events with the base block, a shared Event-Sequence and the sim clock."""

    identity: SwitchIdentity = field(default_factory=SwitchIdentity)
    now_us: Callable[[], int] = field(default=lambda: int(time.time() * 1_000_000))
    _seq: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _dates_of: int = -1
    _date_headers: tuple[Header, Header] = (("", ""), ("", ""))

    def base(
        self, name: str, subclass: str | None = None, site: tuple[str, str, int] | None = None
    ) -> list[Header]:
        ts = self.now_us()
        secs = ts / 1_000_000
        file, func, line = site or CALL_SITES.get(name, CALL_SITES["CUSTOM"])
        ident = self.identity
        headers = [
            ("Event-Name", name),
            ("Core-UUID", ident.core_uuid),
            ("FreeSWITCH-Hostname", ident.hostname),
            ("FreeSWITCH-Switchname", ident.switchname),
            ("FreeSWITCH-IPv4", ident.ipv4),
            ("FreeSWITCH-IPv6", ident.ipv6),
            *self._dates(int(secs)),
            ("Event-Date-Timestamp", str(ts)),
            ("Event-Calling-File", file),
            ("Event-Calling-Function", func),
            ("Event-Calling-Line-Number", str(line)),
            ("Event-Sequence", str(next(self._seq))),
        ]
        if subclass is not None:
            headers.append(("Event-Subclass", subclass))
        return headers

    def _dates(self, secs: int) -> tuple[Header, Header]:
        """Event-Date-Local and -GMT: formatted once per second, not once per event."""
        if self._dates_of != secs:
            local = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(secs))
            gmt = email.utils.formatdate(secs, usegmt=True)
            self._dates_of, self._date_headers = (
                secs,
                (
                    ("Event-Date-Local", local),
                    ("Event-Date-GMT", gmt),
                ),
            )
        return self._date_headers

    def channel_event(
        self,
        name: str,
        channel: ChannelView,
        extra: Iterable[Header] = (),
        *,
        before: Iterable[Header] = (),
        subclass: str | None = None,
        body: str | None = None,
        site: tuple[str, str, int] | None = None,
    ) -> FsEvent:
        """An event about a channel, assembled in FreeSWITCH's order (module docstring)."""
        headers = self.base(name, subclass, site)
        headers.extend(before)
        headers.extend(channel.channel_headers())
        if name in VARIABLE_EVENTS:
            headers.extend(channel.variable_headers())
        headers.extend(extra)
        return FsEvent(tuple(headers), body)

    def background_job(
        self, job_uuid: str, command: str, arg: str | None, result: str, owner: str = ""
    ) -> FsEvent:
        """BACKGROUND_JOB (mod_event_socket ``api_exec``); empty Job-Owner-UUID is dropped."""
        headers = self.base("BACKGROUND_JOB")
        headers.append(("Job-UUID", job_uuid))
        if owner:
            headers.append(("Job-Owner-UUID", owner))
        headers.append(("Job-Command", command))
        if arg is not None:
            headers.append(("Job-Command-Arg", arg))
        return FsEvent(tuple(headers), result)

    def heartbeat(self, stats: Sequence[Header]) -> FsEvent:
        """HEARTBEAT (``switch_core.c`` ``send_heartbeat``); ``stats`` from the server."""
        headers = self.base("HEARTBEAT")
        headers.extend(stats)
        return FsEvent(tuple(headers))

    def custom(
        self,
        subclass: str,
        extra: Iterable[Header] = (),
        body: str | None = None,
        site: tuple[str, str, int] | None = None,
    ) -> FsEvent:
        """A CUSTOM event without channel data (mod_avmd fires these)."""
        headers = self.base("CUSTOM", subclass, site)
        headers.extend(extra)
        return FsEvent(tuple(headers), body)


def plural(n: int, word: str) -> str:
    """FreeSWITCH's uptime wording: ``1 hour``, ``2 hours``, ``0 hours``."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def uptime_text(uptime_us: int) -> str:
    """``switch_core_measure_time`` as printed by ``status`` and HEARTBEAT ``Up-Time``."""
    mms = uptime_us % 1000
    ms = (uptime_us // 1000) % 1000
    total_s = uptime_us // 1_000_000
    sec = total_s % 60
    mins = (total_s // 60) % 60
    hrs = (total_s // 3600) % 24
    days = (total_s // 86400) % 365
    yrs = total_s // (86400 * 365)
    return ", ".join(
        [
            plural(yrs, "year"),
            plural(days, "day"),
            plural(hrs, "hour"),
            plural(mins, "minute"),
            plural(sec, "second"),
            plural(ms, "millisecond"),
            plural(mms, "microsecond"),
        ]
    )
