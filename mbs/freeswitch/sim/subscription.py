"""A listener's subscriptions and filters, with mod_event_socket's exact semantics.

Pure state, no I/O: server.py asks ``wants(event)`` for each fired event and
``command(line)`` for the subscription commands. Rules read from ``mod_event_socket.c``
(v1.10.12) ``event_handler`` and ``parse_command``:

- ``event [plain|json|xml] NAMES``: the format word counts only first; unknown names
  are ignored; no known name at all gives ``-ERR no keywords supplied``. Words after
  ``CUSTOM`` are subclass names; a CUSTOM event is delivered only if its subclass was
  named (or ``ALL`` was). Names match case-insensitively, with or without the
  ``SWITCH_EVENT_`` prefix.
- filters: when any exist, an event passes only if some filter header is present in it
  and matches (``+``/``-`` prefixes; ``-`` excludes and wins; ``/re/`` is a regex;
  otherwise equality ignoring case). An event lacking every filtered header is dropped:
  BACKGROUND_JOB has no Unique-ID.
- ``myevents UUID``: CHANNEL_* (the listed ones), DTMF, DETECTED_SPEECH, TALK/NOTALK
  of that call only, plus BACKGROUND_JOBs whose Job-Owner-UUID is that call.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from mbs.freeswitch.sim.fsevents import FsEvent

EVENT_NAMES = [
    "CUSTOM",
    "CLONE",
    "CHANNEL_CREATE",
    "CHANNEL_DESTROY",
    "CHANNEL_STATE",
    "CHANNEL_CALLSTATE",
    "CHANNEL_ANSWER",
    "CHANNEL_HANGUP",
    "CHANNEL_HANGUP_COMPLETE",
    "CHANNEL_EXECUTE",
    "CHANNEL_EXECUTE_COMPLETE",
    "CHANNEL_HOLD",
    "CHANNEL_UNHOLD",
    "CHANNEL_BRIDGE",
    "CHANNEL_UNBRIDGE",
    "CHANNEL_PROGRESS",
    "CHANNEL_PROGRESS_MEDIA",
    "CHANNEL_OUTGOING",
    "CHANNEL_PARK",
    "CHANNEL_UNPARK",
    "CHANNEL_APPLICATION",
    "CHANNEL_ORIGINATE",
    "CHANNEL_UUID",
    "API",
    "LOG",
    "INBOUND_CHAN",
    "OUTBOUND_CHAN",
    "STARTUP",
    "SHUTDOWN",
    "PUBLISH",
    "UNPUBLISH",
    "TALK",
    "NOTALK",
    "SESSION_CRASH",
    "MODULE_LOAD",
    "MODULE_UNLOAD",
    "DTMF",
    "MESSAGE",
    "PRESENCE_IN",
    "NOTIFY_IN",
    "PRESENCE_OUT",
    "PRESENCE_PROBE",
    "MESSAGE_WAITING",
    "MESSAGE_QUERY",
    "ROSTER",
    "CODEC",
    "BACKGROUND_JOB",
    "DETECTED_SPEECH",
    "DETECTED_TONE",
    "PRIVATE_COMMAND",
    "HEARTBEAT",
    "TRAP",
    "ADD_SCHEDULE",
    "DEL_SCHEDULE",
    "EXE_SCHEDULE",
    "RE_SCHEDULE",
    "RELOADXML",
    "NOTIFY",
    "PHONE_FEATURE",
    "PHONE_FEATURE_SUBSCRIBE",
    "SEND_MESSAGE",
    "RECV_MESSAGE",
    "REQUEST_PARAMS",
    "CHANNEL_DATA",
    "GENERAL",
    "COMMAND",
    "SESSION_HEARTBEAT",
    "CLIENT_DISCONNECTED",
    "SERVER_DISCONNECTED",
    "SEND_INFO",
    "RECV_INFO",
    "RECV_RTCP_MESSAGE",
    "SEND_RTCP_MESSAGE",
    "CALL_SECURE",
    "NAT",
    "RECORD_START",
    "RECORD_STOP",
    "PLAYBACK_START",
    "PLAYBACK_STOP",
    "CALL_UPDATE",
    "FAILURE",
    "SOCKET_DATA",
    "MEDIA_BUG_START",
    "MEDIA_BUG_STOP",
    "CONFERENCE_DATA_QUERY",
    "CONFERENCE_DATA",
    "CALL_SETUP_REQ",
    "CALL_SETUP_RESULT",
    "CALL_DETAIL",
    "DEVICE_STATE",
    "TEXT",
    "SHUTDOWN_REQUESTED",
    "ALL",
]
_KNOWN = frozenset(EVENT_NAMES)

MYEVENTS = frozenset(
    {
        "CHANNEL_ANSWER",
        "CHANNEL_APPLICATION",
        "CHANNEL_BRIDGE",
        "CHANNEL_CREATE",
        "CHANNEL_DATA",
        "CHANNEL_DESTROY",
        "CHANNEL_EXECUTE",
        "CHANNEL_EXECUTE_COMPLETE",
        "CHANNEL_HANGUP",
        "CHANNEL_HANGUP_COMPLETE",
        "CHANNEL_ORIGINATE",
        "CHANNEL_UUID",
        "CHANNEL_OUTGOING",
        "CHANNEL_PARK",
        "CHANNEL_PROGRESS",
        "CHANNEL_PROGRESS_MEDIA",
        "CHANNEL_STATE",
        "CHANNEL_UNBRIDGE",
        "CHANNEL_UNPARK",
        "DETECTED_SPEECH",
        "DTMF",
        "NOTALK",
        "TALK",
    }
)


def event_type(word: str) -> str | None:
    """``switch_name_event``: the canonical name, or None for an unknown word."""
    up = word.upper()
    if len(up) > 13 and up[13:] in _KNOWN:
        return up[13:]
    return up if up in _KNOWN else None


@dataclass
class Subscription:
    format: str = "plain"
    enabled: bool = False  # LFLAG_EVENTS
    names: set[str] = field(default_factory=set)
    all_events: bool = False
    all_custom: bool = False
    subclasses: set[str] = field(default_factory=set)
    filters: list[tuple[str, str]] = field(default_factory=list)
    myevents: bool = False
    session_uuid: str | None = None

    # ------------------------------------------------------------------ commands

    def event(self, words: list[str]) -> str:
        keys = 0
        custom = False
        for i, word in enumerate(words):
            if i == 0 and word.lower() in ("plain", "json", "xml"):
                self.format = word.lower()
                continue
            if custom:
                self.subclasses.add(word)
                continue
            kind = event_type(word)
            if kind is None:
                continue
            keys += 1
            if kind == "ALL":
                self.all_events = True
                self.all_custom = True
            self.names.add(kind)
            if kind == "CUSTOM":
                custom = True
        if not keys:
            return "-ERR no keywords supplied"
        self.enabled = True
        return f"+OK event listener enabled {self.format}"

    def nixevent(self, words: list[str]) -> str:
        keys = 0
        custom = False
        for word in words:
            if custom:
                self.subclasses.discard(word)
                continue
            kind = event_type(word)
            if kind is None:
                continue
            keys += 1
            if kind == "CUSTOM":
                custom = True
            elif kind == "ALL":
                self.names.clear()
                self.all_events = False
            else:
                if self.all_events:  # ALL becomes every single name, minus this one
                    self.all_events = False
                    self.names.update(n for n in EVENT_NAMES if n != "ALL")
                self.names.discard(kind)
        if not keys:
            return "-ERR no keywords supplied"
        self.enabled = True
        return "+OK events nixed"

    def noevents(self) -> str:
        if not self.enabled:
            return "-ERR not listening for events"
        self.enabled = False
        self.names.clear()
        self.subclasses.clear()
        self.all_events = self.all_custom = False
        return "+OK no longer listening for events"

    def filter(self, rest: str) -> str:
        name, _, value = rest.strip(" ").partition(" ")
        if name.lower() == "delete" and value:
            name, _, val = value.partition(" ")
            if name.lower() == "all":
                self.filters.clear()
            else:
                self.filters = [
                    (n, v)
                    for n, v in self.filters
                    if not (n.lower() == name.lower() and (not val or v == val))
                ]
            return f"+OK filter deleted. [{name}][{val}]"
        if value:
            if name.lower() == "add":
                name, _, value = value.partition(" ")
            self.filters.append((name, value))
            return f"+OK filter added. [{name}]=[{value}]"
        return "-ERR invalid syntax"

    def subscribe_myevents(self, uuid: str | None, line: str) -> None:
        self.session_uuid = uuid
        self.names.update(MYEVENTS)
        self.myevents = True
        self.enabled = True
        if "xml" in line or "XML" in line:
            self.format = "xml"
        if "json" in line or "JSON" in line:
            self.format = "json"

    # ------------------------------------------------------------------ delivery

    def wants(self, event: FsEvent) -> bool:
        if not self.enabled:
            return False
        name = event.name
        send = self.all_events or (
            name in self.names
            and (
                name != "CUSTOM"
                or self.all_custom
                or (event.get("Event-Subclass") or "") in self.subclasses
            )
        )
        if send and self.filters:
            send = self._filters_pass(event)
        if send and self.myevents:
            uid = event.get("Unique-ID")
            if uid is None or (self.session_uuid is not None and uid != self.session_uuid):
                send = False
            if self.session_uuid is not None and event.get("Job-Owner-UUID") == self.session_uuid:
                send = True
        return send

    def _filters_pass(self, event: FsEvent) -> bool:
        send = False
        for name, raw in self.filters:
            have = event.get(name)
            if have is None:
                continue
            positive = True
            i = 0
            while i < len(raw) and raw[i] in "+- ":
                if raw[i] == "+":
                    positive = True
                elif raw[i] == "-":
                    positive = False
                i += 1
            wanted = raw[i:]
            if send and positive:
                continue
            if raw.startswith("/"):
                match = _regex_match(have, wanted)
            else:
                match = have.lower() == wanted.lower()
            if match:
                if positive:
                    send = True
                else:
                    return False
        return send


def _regex_match(value: str, pattern: str) -> bool:
    """``switch_regex_perform`` with a ``/re/flags`` pattern (only ``i`` is honoured)."""
    flags = 0
    if pattern.startswith("/"):
        body, _, tail = pattern[1:].rpartition("/")
        if _:
            pattern = body
            if "i" in tail:
                flags |= re.IGNORECASE
        else:
            pattern = pattern[1:]
    try:
        return re.search(pattern, value, flags) is not None
    except re.error:
        return False
