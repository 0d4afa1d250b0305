"""`mbs sim` (a real process on loopback), `mbs freeswitch config` (rendered files), and
`mbs run` on the esl backend when the switch is missing or refuses us."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import xml.dom.minidom
from pathlib import Path

import pytest
import typer
from sim_wire import WireClient
from typer.testing import CliRunner

from mbs.cli import freeswitch_cmd, sim_cmd
from mbs.freeswitch.config import ConfigError, FreeSwitchSettings, render
from mbs.freeswitch.esl import Api, ApiResponse, Auth, AuthRequest, CommandReply
from mbs.freeswitch.sim import simulator_thread

runner = CliRunner()
app = typer.Typer()
sim_cmd.register(app)
freeswitch_cmd.register(app)


def test_config_renders_every_file_as_xml(tmp_path: Path):
    result = runner.invoke(
        app,
        [
            "freeswitch",
            "config",
            "--out",
            str(tmp_path),
            "--listen-ip",
            "10.0.0.2",
            "--password",
            "s3cret",
            "--acl",
            "10.0.0.5/32",
            "--acl",
            "10.0.1.0/24",
            "--gateway",
            "ovh",
            "--gateway-proxy",
            "sip.ovh.net",
            "--gateway-username",
            "0033123",
            "--gateway-password",
            "pw",
            "--caller-id",
            "+33123456789",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    written = [json.loads(line)["written"] for line in result.stdout.splitlines()]
    rel = sorted(str(Path(p).relative_to(tmp_path)) for p in written)
    assert rel == [
        "autoload_configs/acl.conf.xml",
        "autoload_configs/amd.conf.xml",
        "autoload_configs/event_socket.conf.xml",
        "autoload_configs/modules.conf.xml",
        "autoload_configs/vosk.conf.xml",
        "dialplan/mbs.xml",
        "mbs-switch.toml",
        "sip_profiles/external/mbs-gateway.xml",
        "vars/mbs-vars.xml",
    ]
    for path in written:
        if path.endswith(".xml"):
            xml.dom.minidom.parse(path)  # well-formed
    es = xml.dom.minidom.parse(str(tmp_path / "autoload_configs/event_socket.conf.xml"))
    params = {
        p.getAttribute("name"): p.getAttribute("value") for p in es.getElementsByTagName("param")
    }
    assert params["listen-ip"] == "10.0.0.2"
    assert params["listen-port"] == "8021"
    assert params["password"] == "s3cret"
    assert params["apply-inbound-acl"] == "mbs"
    acl = xml.dom.minidom.parse(str(tmp_path / "autoload_configs/acl.conf.xml"))
    assert [n.getAttribute("cidr") for n in acl.getElementsByTagName("node")] == [
        "10.0.0.5/32",
        "10.0.1.0/24",
    ]
    modules = (tmp_path / "autoload_configs/modules.conf.xml").read_text()
    for mod in (
        "mod_event_socket",
        "mod_sofia",
        "mod_dptools",
        "mod_commands",
        "mod_amd",
        "mod_vosk",
    ):
        assert f'<load module="{mod}"/>' in modules
    gw = (tmp_path / "sip_profiles/external/mbs-gateway.xml").read_text()
    assert (
        '<gateway name="ovh">' in gw
        and 'value="sip.ovh.net"' in gw
        and 'name="register" value="true"' in gw
    )
    assert "sofia/gateway/ovh/$1" in (tmp_path / "dialplan/mbs.xml").read_text()


def test_config_options_select_modules():
    files = render(FreeSwitchSettings(asr="audio_fork", amd=False, avmd=True))
    assert "autoload_configs/vosk.conf.xml" not in files
    assert "autoload_configs/amd.conf.xml" not in files
    modules = files["autoload_configs/modules.conf.xml"]
    assert "mod_audio_fork" in modules and "mod_amd" not in modules and "mod_vosk" not in modules
    assert '<load module="mod_avmd"/>' in modules
    assert "mod_avmd" not in render(FreeSwitchSettings())["autoload_configs/modules.conf.xml"]


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        (FreeSwitchSettings(listen_ip="0.0.0.0"), "ClueCon"),
        (FreeSwitchSettings(password='a"b'), "password"),
        (FreeSwitchSettings(acl=["10.0.0.300/32"]), "ACL entry"),
        (FreeSwitchSettings(gateway="my gw"), "gateway"),
        (FreeSwitchSettings(asr="whisper"), "ASR"),
        (FreeSwitchSettings(caller_id="abc"), "caller id"),
        (FreeSwitchSettings(port=0), "port"),
        (FreeSwitchSettings(gateway_username="u"), "gateway password"),
        (FreeSwitchSettings(recordings_dir="rec"), "absolute"),
    ],
)
def test_config_refuses_bad_settings(settings: FreeSwitchSettings, message: str):
    with pytest.raises(ConfigError, match=message):
        render(settings)


def test_config_cli_errors_are_clear(tmp_path: Path):
    result = runner.invoke(
        app, ["freeswitch", "config", "--out", str(tmp_path), "--asr", "whisper"]
    )
    assert result.exit_code == 2
    assert "ASR must be one of" in result.output
    assert "Traceback" not in result.output
    ok = runner.invoke(app, ["freeswitch", "config", "--out", str(tmp_path)])
    assert ok.exit_code == 0, ok.output
    again = runner.invoke(app, ["freeswitch", "config", "--out", str(tmp_path)])
    assert again.exit_code == 2 and "--force" in again.output
    forced = runner.invoke(app, ["freeswitch", "config", "--out", str(tmp_path), "--force"])
    assert forced.exit_code == 0, forced.output


def test_sim_cli_rejects_bad_options():
    result = runner.invoke(app, ["sim", "--personas", "robot=1", "--port", "0"])
    assert result.exit_code == 2 and "unknown persona 'robot'" in result.output
    result = runner.invoke(app, ["sim", "--time-scale", "0", "--port", "0"])
    assert result.exit_code == 2 and "positive" in result.output
    result = runner.invoke(app, ["sim", "--bgjob-order", "sideways", "--port", "0"])
    assert result.exit_code == 2 and "bgjob_order" in result.output
    result = runner.invoke(app, ["sim", "--pin", "0612=robot", "--port", "0"])
    assert result.exit_code == 2 and "known persona kind" in result.output


async def test_mbs_sim_process_serves_esl():
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from mbs.cli import main; main()",
        "sim",
        "--port",
        "0",
        "--password",
        "pw",
        "--seed",
        "4",
        "--time-scale",
        "50",
        "--personas",
        "human=1",
        "--pin",
        "0600000000=busy",
        "--json",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        first = json.loads(await asyncio.wait_for(proc.stdout.readline(), 30))
        host, port = first["listening"].split(":")
        assert host == "127.0.0.1"
        c = await WireClient.connect(int(port))
        assert isinstance(await c.next(), AuthRequest)
        await c.send(Auth("pw"))
        assert (await c.next()).reply_text == "+OK accepted"  # type: ignore[union-attr]
        await c.send(Api("originate {origination_uuid=u-1}sofia/gateway/gw/0600000000 &park()"))
        reply = await c.next(timeout=20)
        assert isinstance(reply, ApiResponse) and reply.body == "-ERR USER_BUSY\n"
        await c.send_raw(b"exit\n\n")
        assert isinstance(await c.next(), CommandReply)
        await c.close()
    finally:
        proc.send_signal(signal.SIGINT)
        stdout, stderr = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, stderr.decode()
    summary = json.loads(stdout.decode().strip().splitlines()[-1])["summary"]
    assert summary["calls"] == 1 and summary["cause"] == {"USER_BUSY": 1}


def _esl_campaign(tmp_path: Path, port: int) -> Path:
    """The example campaign, on the `esl` backend at 127.0.0.1:port."""
    root = Path(__file__).resolve().parents[2]
    text = (root / "examples" / "campagne-or.toml").read_text(encoding="utf-8")
    text = re.sub(r'(?m)^backend = "sim".*$', 'backend = "esl"', text)
    text = re.sub(r"(?m)^port = \d+", f"port = {port}", text)
    text = re.sub(r'(?m)^tts = ".*"', 'tts = "none"', text)  # no prompts to synthesise first
    text = text.replace('"../scenarios/or_rdv.mbs"', f'"{root / "scenarios" / "or_rdv.mbs"}"')
    text = text.replace('"contacts.csv"', f'"{root / "examples" / "contacts.csv"}"')
    path = tmp_path / "esl.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _mbs_run(tmp_path: Path, campaign: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from mbs.cli import main; main()",
            "run",
            "-c",
            str(campaign),
            "--database",
            f"sqlite:///{tmp_path / 'mbs.sqlite'}",
            "-q",
            "--output-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=600,  # a guard against a hang: it takes 5 to 50 s, loaded
        cwd=tmp_path,
        check=False,
    )


def test_mbs_run_without_a_switch_exits_3_with_what_to_check(tmp_path: Path):
    """A switch that refuses the password, then no switch at all: `mbs run` prints the
    message and exits 3 (the ESL exceptions are OSErrors, which it reports), no traceback."""
    with simulator_thread(password="not-ClueCon") as sim:
        port = sim.port
        done = _mbs_run(tmp_path, _esl_campaign(tmp_path, port))
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    assert f"FreeSWITCH at 127.0.0.1:{port} refused the ESL password" in done.stderr
    assert "`password` in event_socket.conf.xml" in done.stderr
    # the simulator is gone: nothing listens on that port any more
    done = _mbs_run(tmp_path, _esl_campaign(tmp_path, port))
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    assert f"cannot connect to FreeSWITCH at 127.0.0.1:{port}" in done.stderr
    assert "listen-ip/listen-port in event_socket.conf.xml" in done.stderr
