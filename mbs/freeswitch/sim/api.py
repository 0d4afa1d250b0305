"""The ``api``/``bgapi`` commands the simulator answers, with mod_commands' reply texts.

Each handler takes the argument string and returns the response body (``api/response``
or BACKGROUND_JOB body). ``originate`` is the one that waits: a call's outcome.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from mbs.freeswitch.esl import url_encode
from mbs.freeswitch.ids import new_uuid
from mbs.freeswitch.sim.call import AppRequest
from mbs.freeswitch.sim.fsevents import VERSION, VERSION_HUMAN, uptime_text

if TYPE_CHECKING:
    from mbs.freeswitch.sim.server import Simulator

Handler = Callable[["Simulator", str], Awaitable[str]]

SHOW_CHANNEL_COLUMNS = (
    "uuid,direction,created,created_epoch,name,state,cid_name,cid_num,ip_addr,dest,"
    "application,application_data,dialplan,context,read_codec,read_rate,read_bit_rate,"
    "write_codec,write_rate,write_bit_rate,secure,hostname,presence_id,presence_data,"
    "accountcode,callstate,callee_name,callee_num,callee_direction,call_uuid,sent_callee_name,"
    "sent_callee_num,initial_cid_name,initial_cid_num,initial_ip_addr,initial_dest,"
    "initial_dialplan,initial_context"
)


@dataclass(frozen=True)
class OriginateRequest:
    """``{vars}endpoint exten|&app(arg) ...`` taken apart."""

    variables: dict[str, str]
    endpoint: str
    gateway: str
    number: str
    app: str
    app_arg: str


def parse_originate(arg: str) -> OriginateRequest | None:
    text = arg.strip()
    variables: dict[str, str] = {}
    while text[:1] in ("{", "<", "["):
        close = {"{": "}", "<": ">", "[": "]"}[text[0]]
        end = text.find(close)
        if end < 0:
            return None
        for part in _split_vars(text[1:end]):
            name, _, value = part.partition("=")
            if name.strip():
                variables[name.strip()] = _unquote(value.strip())
        text = text[end + 1 :]
    endpoint, _, rest = text.partition(" ")
    if not endpoint:
        return None
    parts = endpoint.split("/")
    if len(parts) >= 4 and parts[0] == "sofia" and parts[1] == "gateway":
        gateway, number = parts[2], "/".join(parts[3:])
    elif len(parts) >= 3:
        gateway, number = parts[1], parts[-1].split("@", 1)[0]
    else:
        gateway, number = parts[0], parts[-1]
    exten = rest.strip()
    app, app_arg = "park", ""
    if exten.startswith("&"):
        name, _, tail = exten[1:].partition("(")
        app, app_arg = name.strip(), tail.rsplit(")", 1)[0]
    return OriginateRequest(variables, endpoint, gateway, number, app, app_arg)


def _split_vars(text: str) -> list[str]:
    parts: list[str] = []
    cur: list[str] = []
    quote = escaped = False
    for ch in text:
        if escaped:  # "\," keeps a comma inside a value
            cur.append(ch)
            escaped = False
            continue
        if ch == "\\":
            escaped = True
            continue
        if ch == "'":
            quote = not quote
        if ch == "," and not quote:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == "'":
        return value[1:-1]
    return value


# ------------------------------------------------------------------ handlers


async def status(sim: Simulator, arg: str) -> str:
    up = sim.clock.uptime_us()
    st = sim.stats
    return (
        f"UP {uptime_text(up)}\n"
        f"FreeSWITCH (Version {VERSION_HUMAN}) is ready\n"
        f"{st.since_startup} session(s) since startup\n"
        f"{len(sim.calls)} session(s) - peak {st.peak}, last 5min {st.peak} \n"
        f"0 session(s) per Sec out of max 30, peak {st.sps_peak}, last 5min {st.sps_peak} \n"
        "1000 session(s) max\n"
        "min idle cpu 0.00/99.00\n"
        "Current Stack Size/Max 240K/8192K\n"
    )


async def originate(sim: Simulator, arg: str) -> str:
    """Blocking originate (``api``): the answer comes when the call is up or failed."""
    request = parse_originate(arg)
    if request is None:
        return "-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>] [<cid_name>] [<cid_num>] [<timeout_sec>]\n"
    return await sim.originate(request)


async def uuid_kill(sim: Simulator, arg: str) -> str:
    words = arg.split()
    if not words:
        return "-USAGE: <uuid> [cause]\n"
    call = sim.live_call(words[0])
    if call is None:
        return "-ERR No such channel!\n"
    call.request_hangup(words[1] if len(words) > 1 else "NORMAL_CLEARING")
    return "+OK\n"


async def uuid_broadcast(sim: Simulator, arg: str) -> str:
    words = arg.split(" ")
    if len(words) < 2 or not words[0]:
        return "-USAGE: <uuid> <path> [aleg|bleg|holdb|both]\n"
    call = sim.live_call(words[0])
    if call is None:
        return "-ERR invalid uuid\n"
    target = words[1]
    if "::" in target:
        app, _, data = target.partition("::")
    else:
        app, data = "playback", target
    call.execute(AppRequest(app, data, event_lock=True))
    return "+OK Message sent\n"


async def uuid_break(sim: Simulator, arg: str) -> str:
    words = arg.split()
    if not words:
        return "-USAGE: <uuid> [all]\n"
    call = sim.live_call(words[0])
    if call is None:
        return "-ERR No such channel!\n"
    call.break_media(flush=len(words) > 1 and words[1] == "all")
    return "+OK\n"


async def uuid_setvar(sim: Simulator, arg: str) -> str:
    uuid, _, rest = arg.strip().partition(" ")
    if not uuid:
        return "-USAGE: <uuid> <var> [value]\n"
    name, _, value = rest.partition(" ")
    call = sim.live_call(uuid)
    if call is None:
        return "-ERR No such channel!\n"
    if not name:
        return "-ERR No variable specified\n"
    call.set_var(name, value)
    return "+OK\n"


async def uuid_getvar(sim: Simulator, arg: str) -> str:
    words = arg.split()
    if not words:
        return "-USAGE: <uuid> <var>\n"
    call = sim.live_call(words[0])
    if call is None:
        return "-ERR No such channel!\n"
    if len(words) < 2:
        return "-ERR No variable name specified!\n"
    return call.channel.variables.get(words[1], "_undef_")


async def uuid_exists(sim: Simulator, arg: str) -> str:
    return "true" if sim.live_call(arg.strip()) is not None else "false"


async def uuid_dump(sim: Simulator, arg: str) -> str:
    """``uuid_dump <uuid>``: the channel's data as a CHANNEL_DATA event, serialised as
    ``switch_event_serialize`` does (``Name: url-encoded value`` lines)."""
    words = arg.split()
    if not words:
        return "-USAGE: <uuid> [format]\n"
    call = sim.live_call(words[0])
    if call is None:
        return "-ERR No such channel!\n"
    event = call.channel._event("CHANNEL_DATA")
    headers = list(event.headers)
    if not any(k.startswith("variable_") for k, _ in headers):
        headers.extend(call.channel.variable_headers())
    return "".join(f"{k}: {url_encode(v)}\n" for k, v in headers)


async def uuid_record(sim: Simulator, arg: str) -> str:
    words = arg.split()
    if len(words) < 3:
        return "-USAGE: <uuid> [start|stop|mask|unmask] <path> [<limit>]\n"
    call = sim.live_call(words[0])
    if call is None:
        return "-ERR Cannot locate session!\n"
    action, path = words[1].lower(), words[2]
    if action == "start":
        call.start_recording(path)
    elif action == "stop" and not call.stop_recording(path):
        return "-ERR Cannot stop record session!\n"
    return "+OK Success\n"


async def uuid_transfer(sim: Simulator, arg: str) -> str:
    words = arg.split()
    if len(words) < 2:
        return "-USAGE: <uuid> [-bleg|-both] <dest-exten> [<dialplan>] [<context>]\n"
    call = sim.live_call(words[0])
    if call is None:
        return "-ERR No such channel!\n"
    dest = words[2] if words[1].startswith("-") and len(words) > 2 else words[1]
    call.execute(AppRequest("transfer", dest))
    return "+OK\n"


async def uuid_audio_fork(sim: Simulator, arg: str) -> str:
    """``<uuid> start <ws-url> <mono|mixed|stereo> <8k|16k|rate> [bugname] [metadata]``."""
    words = arg.split()
    if len(words) < 2 or (words[1] == "start" and len(words) < 4):
        return "-USAGE: <uuid> [start | stop | send_text | pause | resume | graceful-shutdown ] [wss-url | path] [mono | mixed | stereo] [8000 | 16000] [bugname] [metadata]\n"
    call = sim.live_call(words[0])
    if call is None:
        return "-ERR Operation Failed\n"
    action = words[1].lower()
    ok = True
    if action == "start":
        rate_word = words[4] if len(words) > 4 else "8k"
        rate = {"8k": 8000, "16k": 16000}.get(rate_word) or (
            int(rate_word) if rate_word.isdigit() else 8000
        )
        if len(words) > 6:
            metadata = " ".join(words[6:])
        else:
            metadata = words[5] if len(words) > 5 and words[5].startswith("{") else ""
        ok = words[3] in ("mono", "mixed", "stereo") and call.start_fork(words[2], rate, metadata)
    elif action in ("stop", "graceful-shutdown"):
        ok = await call.stop_fork()
    return "+OK Success\n" if ok else "-ERR Operation Failed\n"


async def show(sim: Simulator, arg: str) -> str:
    what = arg.split()[0].lower() if arg.split() else ""
    if what not in ("channels", "calls"):
        return "-USAGE: " + "channels|calls|...\n"
    rows = []
    for call in sim.calls.values():
        ch = call.channel
        created = ch.created_us // 1_000_000
        cells = {
            "uuid": ch.uuid,
            "direction": "outbound",
            "created": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(created)),
            "created_epoch": str(created),
            "name": ch.name,
            "state": ch.running_state,
            "cid_name": ch.caller_id_name,
            "cid_num": ch.caller_id_number,
            "dest": ch.destination,
            "application": ch.variables.get("current_application", ""),
            "application_data": ch.variables.get("current_application_data", ""),
            "dialplan": "XML",
            "context": "default",
            "read_codec": "PCMU" if ch.media else "",
            "read_rate": "8000" if ch.media else "",
            "read_bit_rate": "64000" if ch.media else "",
            "write_codec": "PCMU" if ch.media else "",
            "write_rate": "8000" if ch.media else "",
            "write_bit_rate": "64000" if ch.media else "",
            "hostname": sim.identity.hostname,
            "callstate": ch.callstate,
            "callee_num": ch.destination,
            "call_uuid": ch.uuid,
        }
        rows.append(",".join(cells.get(c, "") for c in SHOW_CHANNEL_COLUMNS.split(",")))
    if not rows:
        return "\n0 total.\n"
    return SHOW_CHANNEL_COLUMNS + "\n" + "".join(r + "\n" for r in rows) + f"\n{len(rows)} total.\n"


async def hostname(sim: Simulator, arg: str) -> str:
    return sim.identity.hostname


async def version(sim: Simulator, arg: str) -> str:
    if arg.strip() == "short":
        return "1.10.12\n"
    return f"FreeSWITCH Version {VERSION} (-release 64bit)\n"


async def echo(sim: Simulator, arg: str) -> str:
    return arg


async def uuid_generate(sim: Simulator, arg: str) -> str:
    return new_uuid()


HANDLERS: dict[str, Handler] = {
    "status": status,
    "originate": originate,
    "uuid_kill": uuid_kill,
    "uuid_broadcast": uuid_broadcast,
    "uuid_break": uuid_break,
    "break": uuid_break,
    "uuid_setvar": uuid_setvar,
    "uuid_getvar": uuid_getvar,
    "uuid_exists": uuid_exists,
    "uuid_dump": uuid_dump,
    "uuid_record": uuid_record,
    "uuid_transfer": uuid_transfer,
    "uuid_audio_fork": uuid_audio_fork,
    "show": show,
    "hostname": hostname,
    "version": version,
    "echo": echo,
    "create_uuid": uuid_generate,
}


async def run(sim: Simulator, line: str) -> str:
    """Run ``cmd args``; an unknown command gives mod_event_socket's message."""
    cmd, _, arg = line.strip().partition(" ")
    handler = HANDLERS.get(cmd.lower())
    if handler is None:
        return f"-ERR {cmd} Command not found!\n"
    reply = await handler(sim, arg)
    return reply or "-ERR no reply\n"
