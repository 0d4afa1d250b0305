"""One simulated outbound leg: its FreeSWITCH state, variables, and the events it fires.

The transitions are the ones ``bgapi originate {...}sofia/gateway/GW/NUM &park()`` takes
on FreeSWITCH 1.10 (docs/simulator.md, "What is byte-faithful"), each a method
returning the events in the order the switch fires them:

    originate_start  STATE(CS_INIT) CREATE ORIGINATE STATE(CS_ROUTING) STATE(CS_CONSUME_MEDIA)
    ring             PROGRESS  CALLSTATE(RINGING)
    early_media      PROGRESS_MEDIA  CALLSTATE(EARLY)
    answer           ANSWER  CALLSTATE(ACTIVE)
    park             STATE(CS_EXECUTE) EXECUTE(park) PARK
    hangup           HANGUP  CALLSTATE(HANGUP)
    teardown         STATE(CS_HANGUP) HANGUP_COMPLETE STATE(CS_REPORTING) DESTROY STATE(CS_DESTROY)

The values shown in the channel block (Channel-State vs Channel-State-Number, Answer-State,
codecs present only once media flows) follow ``switch_channel_event_set_basic_data``.
Nothing here waits or does I/O: call.py sequences these with the simulated clock.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from mbs.freeswitch.sim.fsevents import AUDIO_FORK_SITE, AVMD_SITE, EventFactory, FsEvent, Header

# switch_channel_state_t
STATE_NUMBERS = {
    "CS_NEW": 0,
    "CS_INIT": 1,
    "CS_ROUTING": 2,
    "CS_SOFT_EXECUTE": 3,
    "CS_EXECUTE": 4,
    "CS_EXCHANGE_MEDIA": 5,
    "CS_PARK": 6,
    "CS_CONSUME_MEDIA": 7,
    "CS_HIBERNATE": 8,
    "CS_RESET": 9,
    "CS_HANGUP": 10,
    "CS_REPORTING": 11,
    "CS_DESTROY": 12,
    "CS_NONE": 13,
}

# switch_channel_callstate_t, for Channel-Call-State-Number
CALLSTATE_NUMBERS = {
    "DOWN": 0,
    "DIALING": 1,
    "RINGING": 2,
    "EARLY": 3,
    "ACTIVE": 4,
    "HELD": 5,
    "RING_WAIT": 6,
    "HANGUP": 7,
    "UNHELD": 8,
}

# Hangup causes: Q.850 code and the SIP status a gateway leg ends with.
CAUSES: dict[str, tuple[int, str]] = {
    "NORMAL_CLEARING": (16, "200"),
    "USER_BUSY": (17, "486"),
    "NO_USER_RESPONSE": (18, "480"),
    "NO_ANSWER": (19, "487"),
    "CALL_REJECTED": (21, "603"),
    "ORIGINATOR_CANCEL": (487, "487"),
    "UNALLOCATED_NUMBER": (1, "404"),
    "NORMAL_TEMPORARY_FAILURE": (41, "503"),
}

CODEC = (("PCMU", "8000", "64000"),)


def _stamp(us: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(us / 1_000_000))


class _Variables(dict[str, str]):
    """A channel's variables, counting their changes (the event block is cached)."""

    version = 0

    def __setitem__(self, key: str, value: str) -> None:
        self.version += 1
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.version += 1
        super().__delitem__(key)

    def pop(self, key: str, *default: Any) -> Any:
        self.version += 1
        return super().pop(key, *default)

    def update(self, *args: Any, **kwargs: Any) -> None:
        self.version += 1
        super().update(*args, **kwargs)

    def setdefault(self, key: str, default: str = "") -> str:
        self.version += 1
        return super().setdefault(key, default)

    def clear(self) -> None:
        self.version += 1
        super().clear()

    def popitem(self) -> tuple[str, str]:
        self.version += 1
        return super().popitem()

    def __ior__(self, other: Any) -> _Variables:  # type: ignore[override,misc]
        self.version += 1
        super().update(other)
        return self


@dataclass
class SimChannel:
    """The data behind a channel's header block, plus its transitions."""

    uuid: str
    destination: str
    gateway: str
    events: EventFactory
    originate_vars: dict[str, str] = field(default_factory=dict)
    caller_id_number: str = "0000000000"
    caller_id_name: str = ""
    session_id: int = 1

    running_state: str = "CS_NEW"
    state_number: int = 0
    callstate: str = "DOWN"
    answered: bool = False
    early: bool = False
    down: bool = False
    media: bool = False
    hangup_cause: str = ""
    created_us: int = 0
    progress_us: int = 0
    progress_media_us: int = 0
    answered_us: int = 0
    hungup_us: int = 0
    variables: dict[str, str] = field(default_factory=lambda: _Variables())
    _disposition: str = "send_bye"
    _var_key: tuple[int, int] | None = None
    _profile_key: tuple[object, ...] = ()
    _profile_block: list[Header] = field(default_factory=list)
    _var_block: list[Header] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.name = f"sofia/gateway/{self.gateway}/{self.destination}"
        self.caller_id_number = self.originate_vars.get(
            "origination_caller_id_number", self.caller_id_number
        )
        self.caller_id_name = self.originate_vars.get(
            "origination_caller_id_name", self.caller_id_name
        )
        v = self.variables
        v["direction"] = "outbound"
        v["uuid"] = self.uuid
        v["call_uuid"] = self.uuid
        v["session_id"] = str(self.session_id)
        v["sip_gateway_name"] = self.gateway
        v["channel_name"] = self.name
        v.update(self.originate_vars)

    # ------------------------------------------------------------------ header block

    def channel_headers(self) -> list[Header]:
        h: list[Header] = [
            ("Channel-State", self.running_state),
            ("Channel-Call-State", self.callstate),
            ("Channel-State-Number", str(self.state_number)),
            ("Channel-Name", self.name),
            ("Unique-ID", self.uuid),
            ("Call-Direction", "outbound"),
            ("Presence-Call-Direction", "outbound"),
            ("Channel-HIT-Dialplan", "false"),
            ("Channel-Call-UUID", self.variables.get("call_uuid", self.uuid)),
        ]
        if self.down:
            answer_state = "hangup"
        elif self.answered:
            answer_state = "answered"
        elif self.early:
            answer_state = "early"
        else:
            answer_state = "ringing"
        h.append(("Answer-State", answer_state))
        if self.hangup_cause:
            h.append(("Hangup-Cause", self.hangup_cause))
        if self.media:
            for side in ("Read", "Write"):
                name, rate, bits = CODEC[0]
                h.append((f"Channel-{side}-Codec-Name", name))
                h.append((f"Channel-{side}-Codec-Rate", rate))
                h.append((f"Channel-{side}-Codec-Bit-Rate", bits))
        h.extend(self._caller_profile())
        return h

    def _caller_profile(self, p: str = "Caller-") -> list[Header]:
        """The caller profile block, rebuilt only when one of its fields changed."""
        key = (
            p,
            self.caller_id_name,
            self.caller_id_number,
            self.destination,
            self.name,
            self.created_us,
            self.answered_us,
            self.progress_us,
            self.progress_media_us,
            self.hungup_us,
        )
        if self._profile_key != key:
            self._profile_key, self._profile_block = key, self._build_caller_profile(p)
        return self._profile_block

    def _build_caller_profile(self, p: str) -> list[Header]:
        h: list[Header] = [(p + "Direction", "outbound"), (p + "Logical-Direction", "outbound")]
        if self.caller_id_name:
            h.append((p + "Caller-ID-Name", self.caller_id_name))
        h.append((p + "Caller-ID-Number", self.caller_id_number))
        if self.caller_id_name:
            h.append((p + "Orig-Caller-ID-Name", self.caller_id_name))
        h.append((p + "Orig-Caller-ID-Number", self.caller_id_number))
        h += [
            (p + "Callee-ID-Name", "Outbound Call"),
            (p + "Callee-ID-Number", self.destination),
            (p + "ANI", self.caller_id_number),
            (p + "Destination-Number", self.destination),
            (p + "Unique-ID", self.uuid),
            (p + "Source", "src/switch_ivr_originate.c"),
            (p + "Context", "default"),
            (p + "Channel-Name", self.name),
            (p + "Profile-Index", "1"),
            (p + "Profile-Created-Time", str(self.created_us)),
            (p + "Channel-Created-Time", str(self.created_us)),
            (p + "Channel-Answered-Time", str(self.answered_us)),
            (p + "Channel-Progress-Time", str(self.progress_us)),
            (p + "Channel-Progress-Media-Time", str(self.progress_media_us)),
            (p + "Channel-Hangup-Time", str(self.hungup_us)),
            (p + "Channel-Transfer-Time", "0"),
            (p + "Channel-Resurrect-Time", "0"),
            (p + "Channel-Bridged-Time", "0"),
            (p + "Channel-Last-Hold", "0"),
            (p + "Channel-Hold-Accum", "0"),
            (p + "Screen-Bit", "true"),
            (p + "Privacy-Hide-Name", "false"),
            (p + "Privacy-Hide-Number", "false"),
        ]
        return h

    def variable_headers(self) -> list[Header]:
        """The ``variable_*`` block, rebuilt only when a variable changed since."""
        v = self.variables
        key = (len(v), v.version) if isinstance(v, _Variables) else None
        if key is None or key != self._var_key:
            self._var_block = [(f"variable_{k}", x) for k, x in v.items() if x != ""]
            self._var_key = key
        return self._var_block

    # ------------------------------------------------------------------ helpers

    def _event(
        self,
        name: str,
        extra: list[Header] | None = None,
        *,
        before: list[Header] | None = None,
        body: str | None = None,
        subclass: str | None = None,
        site: tuple[str, str, int] | None = None,
    ) -> FsEvent:
        return self.events.channel_event(
            name, self, extra or [], before=before or [], body=body, subclass=subclass, site=site
        )

    def _set_running(self, state: str) -> FsEvent:
        self.running_state = state
        self.state_number = STATE_NUMBERS[state]
        return self._event("CHANNEL_STATE")

    def _set_callstate(self, callstate: str) -> FsEvent:
        old, self.callstate = self.callstate, callstate
        return self._event(
            "CHANNEL_CALLSTATE",
            before=[
                ("Original-Channel-Call-State", old),
                ("Channel-Call-State-Number", str(CALLSTATE_NUMBERS[callstate])),
            ],
        )

    def set_var(self, name: str, value: str) -> None:
        if value == "":
            self.variables.pop(name, None)
        else:
            self.variables.pop(name, None)  # FreeSWITCH re-adds at the end on change
            self.variables[name] = value

    # ------------------------------------------------------------------ transitions

    def originate_start(self, now_us: int) -> list[FsEvent]:
        self.created_us = now_us
        out = [self._set_running("CS_INIT")]
        # the endpoint's on_init has already moved the state on when CREATE fires
        # (a real capture: Channel-State CS_INIT with Channel-State-Number 2)
        self.state_number = STATE_NUMBERS["CS_ROUTING"]
        out.append(self._event("CHANNEL_CREATE"))
        out.append(self._event("CHANNEL_ORIGINATE"))
        out.append(self._set_running("CS_ROUTING"))
        out.append(self._set_running("CS_CONSUME_MEDIA"))
        return out

    def ring(self, now_us: int) -> list[FsEvent]:
        self.progress_us = now_us
        return [self._event("CHANNEL_PROGRESS"), self._set_callstate("RINGING")]

    def early_media(self, now_us: int) -> list[FsEvent]:
        self.progress_media_us = now_us
        self.early = True
        self.media = True
        self.set_var("progress_media_stamp", _stamp(now_us))
        return [self._event("CHANNEL_PROGRESS_MEDIA"), self._set_callstate("EARLY")]

    def answer(self, now_us: int) -> list[FsEvent]:
        self.answered_us = now_us
        self.answered = True
        self.media = True
        self.set_var("answer_stamp", _stamp(now_us))
        return [self._event("CHANNEL_ANSWER"), self._set_callstate("ACTIVE")]

    def connect_reply(self, async_mode: bool, full: bool) -> list[Header]:
        """Outbound mode's answer to ``connect``: a CHANNEL_DATA event flattened into
        headers (mod_event_socket ``parse_command``): base block, the caller profile under
        ``Channel-``, the channel block and variables, then the reply headers."""
        headers = self.events.base("CHANNEL_DATA")
        headers.extend(self._caller_profile("Channel-"))
        headers.extend(self.channel_headers())
        headers.extend(self.variable_headers())
        headers += [
            ("Content-Type", "command/reply"),
            ("Reply-Text", "+OK\n"),
            ("Socket-Mode", "async" if async_mode else "static"),
            ("Control", "full" if full else "single-channel"),
        ]
        return headers

    def start_app(self, app: str) -> FsEvent:
        """STATE(CS_EXECUTE): the originate's inline app (``&park()``, ``&socket()``) starts."""
        return self._set_running("CS_EXECUTE")

    def park(self, app_uuid: str) -> list[FsEvent]:
        out = [self._set_running("CS_EXECUTE")]
        out.append(self.execute("park", "", app_uuid))
        out.append(self._event("CHANNEL_PARK"))
        return out

    def execute(self, app: str, data: str, app_uuid: str) -> FsEvent:
        self.set_var("current_application", app)
        self.set_var("current_application_data", data)
        self.variables.pop("current_application_response", None)
        return self._event(
            "CHANNEL_EXECUTE",
            [("Application", app), ("Application-Data", data), ("Application-UUID", app_uuid)],
        )

    def execute_complete(self, app: str, data: str, app_uuid: str, response: str) -> FsEvent:
        if response:
            self.set_var("current_application_response", response)
        return self._event(
            "CHANNEL_EXECUTE_COMPLETE",
            [
                ("Application", app),
                ("Application-Data", data),
                ("Application-Response", response or "_none_"),
                ("Application-UUID", app_uuid),
            ],
        )

    def playback(self, path: str, params: list[Header], *, stop: str | None) -> FsEvent:
        """PLAYBACK_START (``stop=None``) or PLAYBACK_STOP with ``done``/``break``."""
        if stop is None:
            return self._event("PLAYBACK_START", [("Playback-File-Path", path), *params])
        return self._event(
            "PLAYBACK_STOP",
            [("Playback-File-Path", path), ("Playback-Status", stop), *params],
        )

    def dtmf(self, digit: str, duration: int = 2000) -> FsEvent:
        return self._event(
            "DTMF",
            [("DTMF-Digit", digit), ("DTMF-Duration", str(duration)), ("DTMF-Source", "RTP")],
        )

    def speech(self, speech_type: str, text: str | None = None) -> FsEvent:
        """DETECTED_SPEECH as ``speech_thread`` fires it with ``fire_asr_events`` set."""
        return self._event("DETECTED_SPEECH", before=[("Speech-Type", speech_type)], body=text)

    def custom(self, subclass: str, body: str | None = None) -> FsEvent:
        """mod_audio_fork's ``responseHandler``: CUSTOM with the channel data and a body."""
        return self._event("CUSTOM", subclass=subclass, body=body, site=AUDIO_FORK_SITE)

    def avmd(self, subclass: str, extra: list[Header]) -> FsEvent:
        """mod_avmd's ``avmd_fire_event``: no channel data, just Unique-ID and the facts."""
        return self.events.custom(
            subclass,
            [("Unique-ID", self.uuid), ("Call-command", "avmd"), *extra],
            site=AVMD_SITE,
        )

    def record(self, path: str, *, start: bool) -> FsEvent:
        name = "RECORD_START" if start else "RECORD_STOP"
        return self._event(name, [("Record-File-Path", path)])

    def hangup(self, cause: str, now_us: int, disposition: str = "send_bye") -> list[FsEvent]:
        """HANGUP as ``switch_channel_perform_hangup`` fires it (state already CS_HANGUP).

        ``disposition`` is sofia's ``sip_hangup_disposition``: who ended it and how
        (``recv_bye`` the callee, ``send_bye`` us, ``recv_refuse`` a 4xx/6xx answer,
        ``send_cancel`` our give-up while ringing)."""
        q850, sip = CAUSES.get(cause, (16, "200"))
        self.hungup_us = now_us
        self.down = True
        self.hangup_cause = cause
        self.state_number = STATE_NUMBERS["CS_HANGUP"]
        before = self.callstate
        self.callstate = "HANGUP"
        self._disposition = disposition
        if disposition.startswith("recv_"):  # the far end's BYE or refusal came first
            self.set_var("sip_hangup_disposition", disposition)
        self.set_var("hangup_cause", cause)
        self.set_var("hangup_cause_q850", str(q850))
        self.set_var("sip_term_status", sip)
        out = [self._event("CHANNEL_HANGUP")]
        self.callstate = before
        out.append(self._set_callstate("HANGUP"))
        return out

    def _timestamps(self) -> None:
        """``switch_channel_set_timestamps`` at hangup: stamps, epochs, durations, in
        its order (each set moves the variable to the end, as FreeSWITCH does)."""
        cr, an, pr, pm, hu = (
            self.created_us,
            self.answered_us,
            self.progress_us,
            self.progress_media_us,
            self.hungup_us,
        )
        self.set_var("digits_dialed", "none")
        self.set_var("start_stamp", _stamp(cr))
        self.set_var("profile_start_stamp", _stamp(cr))
        if an:
            self.set_var("answer_stamp", _stamp(an))
        if pr:
            self.set_var("progress_stamp", _stamp(pr))
        if pm:
            self.set_var("progress_media_stamp", _stamp(pm))
        self.set_var("end_stamp", _stamp(hu))
        for name, us in (
            ("start", cr),
            ("profile_start", cr),
            ("answer", an),
            ("resurrect", 0),
            ("progress", pr),
            ("progress_media", pm),
            ("end", hu),
        ):
            self.set_var(f"{name}_epoch", str(us // 1_000_000))
            self.set_var(f"{name}_uepoch", str(us))
        self.set_var("last_app", self.variables.get("current_application", ""))
        self.set_var("last_arg", self.variables.get("current_application_data", ""))
        self.set_var("caller_id", f'"{self.caller_id_name}" <{self.caller_id_number}>')
        self.set_var("duration", str(hu // 1_000_000 - cr // 1_000_000))
        self.set_var("billsec", str(hu // 1_000_000 - an // 1_000_000 if an else 0))
        self.set_var("progresssec", str((pr - cr) // 1_000_000 if pr else 0))
        self.set_var("answersec", str((an - cr) // 1_000_000 if an else 0))
        self.set_var("progress_mediasec", str((pm - cr) // 1_000_000 if pm else 0))
        self.set_var("mduration", str((hu - cr) // 1000))
        self.set_var("billmsec", str((hu - an) // 1000 if an else 0))
        self.set_var("uduration", str(hu - cr))
        self.set_var("billusec", str(hu - an if an else 0))

    def teardown(self) -> list[FsEvent]:
        self._timestamps()
        if self._disposition.startswith("send_"):  # sofia's on_hangup sets it afterwards
            self.set_var("sip_hangup_disposition", self._disposition)
        out = [self._set_running("CS_HANGUP")]
        self.running_state = "CS_REPORTING"
        self.state_number = STATE_NUMBERS["CS_REPORTING"]
        out.append(
            self._event("CHANNEL_HANGUP_COMPLETE", before=[("Hangup-Cause", self.hangup_cause)])
        )
        out.append(self._set_running("CS_REPORTING"))
        self.state_number = STATE_NUMBERS["CS_DESTROY"]
        out.append(self._event("CHANNEL_DESTROY"))
        out.append(self._set_running("CS_DESTROY"))
        return out
