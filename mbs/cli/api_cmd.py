"""``mbs api`` (and ``mbs console``): serve the JSON API and the operator's console;
``mbs api key create|list|revoke``: keys for programs."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mbs.cli.output import EXIT_RUNTIME, EXIT_USAGE, abort, emit_row, err, out

if TYPE_CHECKING:
    from mbs.campaign.store import Store

# ``mbs api --database URL key ...``: the group's --database, for its key commands
_API_DATABASE = "mbs.api.database"


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    host: str,
    port: int,
    database: str | None,
    base_dir: Path,
    access_log: bool,
    scenarios_dir: Path,
    campaign_defaults: Path | None,
) -> None:
    import uvicorn

    from mbs.api import create_app
    from mbs.api.console import ConsoleConfig
    from mbs.api.server import ApiBindError, StandaloneServer, bind
    from mbs.campaign.store import Store, StoreError
    from mbs.cli.graphs import scenario_graph

    try:
        store = Store.open(database)
        store.ping()
    except StoreError as exc:
        abort(str(exc), EXIT_RUNTIME)
    if not _is_loopback(host) and not store.has_credentials():
        store.close()
        abort(
            f"refusing to listen on {host}: no user and no API key exists, so anyone could "
            "read the store; add one (mbs user add NAME --role admin, or mbs api key create) "
            "or keep the default 127.0.0.1",
            EXIT_USAGE,
        )
    try:
        sock = bind(host, port)
    except ApiBindError as exc:
        store.close()
        abort(str(exc), EXIT_USAGE)
    real_port = sock.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    err.print(
        f"mbs api on http://{shown}:{real_port} ({store.dialect}); console at /, "
        f"docs at /docs, metrics at /metrics. Ctrl-C stops."
    )
    console = ConsoleConfig(
        scenarios_dir=scenarios_dir,
        campaigns_dir=base_dir / "campaigns",
        defaults=campaign_defaults,
        graph=scenario_graph,
    )
    config = uvicorn.Config(
        create_app(store, base_dir=base_dir, console=console),
        access_log=access_log,
        log_level="info" if access_log else "warning",
        timeout_graceful_shutdown=5,  # open event streams do not hold Ctrl-C up
        # X-Forwarded-For is not believed, even from loopback: any local process could
        # then choose the address the log-in limiter counts failures against
        proxy_headers=False,
    )
    try:
        StandaloneServer(config).run(sockets=[sock])
    finally:
        sock.close()
        store.close()


HostOpt = Annotated[str, typer.Option("--host", help="Address to listen on (loopback by default).")]
PortOpt = Annotated[int, typer.Option("--port", min=0, max=65535, help="Port (0: any free port).")]
DatabaseOpt = Annotated[
    str | None,
    typer.Option("--database", help="Database URL (default: DATABASE_URL, else var/mbs.sqlite)."),
]
BaseDirOpt = Annotated[
    Path,
    typer.Option(
        "--base-dir",
        help="Where relative transcript and recording paths are read from, and where the "
        "console writes campaign files (BASE/campaigns).",
    ),
]
LogOpt = Annotated[bool, typer.Option("--access-log/--no-access-log", help="Log each request.")]
ScenariosOpt = Annotated[
    Path, typer.Option("--scenarios", help="Scenarios an operator may pick for a new campaign.")
]
DefaultsOpt = Annotated[
    Path | None,
    typer.Option(
        "--campaign-defaults",
        help="A campaign file whose settings (telephony, builtins, retry...) new campaigns copy.",
    ),
]


def register(app: typer.Typer) -> None:
    api = typer.Typer(
        help="Serve the JSON API and the console; manage API keys.",
        invoke_without_command=True,
    )

    @api.callback()
    def api_main(
        ctx: typer.Context,
        host: HostOpt = "127.0.0.1",
        port: PortOpt = 8080,
        database: DatabaseOpt = None,
        base_dir: BaseDirOpt = Path("."),
        access_log: LogOpt = True,
        scenarios_dir: ScenariosOpt = Path("scenarios"),
        campaign_defaults: DefaultsOpt = None,
    ) -> None:
        """Serve the API and the console (every route but /health needs a key or a log-in).

        Without a subcommand it serves until Ctrl-C. It refuses an address other than
        loopback while no user and no API key exist.
        """
        ctx.meta[_API_DATABASE] = database
        if ctx.invoked_subcommand is None:
            serve(host, port, database, base_dir, access_log, scenarios_dir, campaign_defaults)

    key = typer.Typer(help="API keys: create, list, revoke.", no_args_is_help=True)

    def key_store(ctx: typer.Context, database: str | None) -> Store:
        """The key command's own --database, else the one given to ``mbs api``, else the
        default: a key must land in the store the server will read."""
        from mbs.cli.common import open_store

        return open_store(database or ctx.meta.get(_API_DATABASE))

    @key.command("create")
    def key_create(
        ctx: typer.Context,
        name: Annotated[str, typer.Option("--name", help="What the key is for.")],
        scope: Annotated[str, typer.Option("--scope", help="read or control.")] = "read",
        database: DatabaseOpt = None,
    ) -> None:
        """Create a key; it is printed once (only its hash is stored)."""
        from mbs.api.auth import Scope, new_api_key, sha256
        from mbs.campaign.store import StoreError

        try:
            chosen = Scope(scope)
        except ValueError:
            abort(f"unknown scope {scope!r} (use read or control)", EXIT_USAGE)
        if not name.strip() or len(name) > 100:
            abort("a key name has 1 to 100 characters", EXIT_USAGE)
        secret = new_api_key()
        store = key_store(ctx, database)
        try:
            store.add_api_key(name, sha256(secret), chosen.value, now=datetime.now(UTC))
        except StoreError as exc:
            abort(str(exc), EXIT_USAGE)
        finally:
            store.close()
        err.print(f"API key {name!r} ({chosen.value}); send it as 'Authorization: Bearer KEY':")
        out.print(secret)

    @key.command("list")
    def key_list(ctx: typer.Context, database: DatabaseOpt = None) -> None:
        """List the keys (names, scopes, last use; never the secrets)."""
        store = key_store(ctx, database)
        try:
            for k in store.list_api_keys():
                used = k.last_used_at.isoformat() if k.last_used_at else "never used"
                revoked = f" revoked {k.revoked_at.isoformat()}" if k.revoked_at else ""
                emit_row(k.name, k.scope, f"{used}{revoked}")
        finally:
            store.close()

    @key.command("revoke")
    def key_revoke(
        ctx: typer.Context,
        name: Annotated[str, typer.Argument(help="The key's name.")],
        database: DatabaseOpt = None,
    ) -> None:
        """Revoke a key: it stops working at once."""
        store = key_store(ctx, database)
        try:
            if not store.revoke_api_key(name, now=datetime.now(UTC)):
                abort(f"no live API key named {name!r}", EXIT_USAGE)
        finally:
            store.close()
        out.print(f"API key {name!r} revoked")

    api.add_typer(key, name="key")
    app.add_typer(api, name="api")

    @app.command("console")
    def console(
        host: HostOpt = "127.0.0.1",
        port: PortOpt = 8080,
        database: DatabaseOpt = None,
        base_dir: BaseDirOpt = Path("."),
        access_log: LogOpt = True,
        scenarios_dir: ScenariosOpt = Path("scenarios"),
        campaign_defaults: DefaultsOpt = None,
    ) -> None:
        """Serve the operator's console (the same server as `mbs api`)."""
        serve(host, port, database, base_dir, access_log, scenarios_dir, campaign_defaults)
