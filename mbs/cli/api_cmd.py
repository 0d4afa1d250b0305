"""``mbs api``: serve the read-only status API (JSON routes and Prometheus ``/metrics``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mbs.cli.output import EXIT_RUNTIME, EXIT_USAGE, abort, err


def register(app: typer.Typer) -> None:
    @app.command("api")
    def api(
        host: Annotated[
            str, typer.Option("--host", help="Address to listen on (loopback by default).")
        ] = "127.0.0.1",
        port: Annotated[
            int, typer.Option("--port", min=0, max=65535, help="Port (0: any free port).")
        ] = 8080,
        database: Annotated[
            str | None,
            typer.Option(
                "--database", help="Database URL (default: DATABASE_URL, else var/mbs.sqlite)."
            ),
        ] = None,
        base_dir: Annotated[
            Path,
            typer.Option("--base-dir", help="Where relative transcript paths are read from."),
        ] = Path("."),
        access_log: Annotated[
            bool, typer.Option("--access-log/--no-access-log", help="Log each request.")
        ] = True,
    ) -> None:
        """Serve the status API: campaigns, calls, transcripts, /metrics (read-only).

        It never places a call. There is no authentication: keep it on loopback or
        behind a proxy that checks who asks. Ctrl-C stops it.
        """
        import uvicorn

        from mbs.api import create_app
        from mbs.api.server import ApiBindError, StandaloneServer, bind
        from mbs.campaign.store import Store, StoreError

        try:
            store = Store.open(database)
            store.ping()
        except StoreError as exc:
            abort(str(exc), EXIT_RUNTIME)
        try:
            sock = bind(host, port)
        except ApiBindError as exc:
            store.close()
            abort(str(exc), EXIT_USAGE)
        real_port = sock.getsockname()[1]
        shown = f"[{host}]" if ":" in host else host
        err.print(
            f"mbs api on http://{shown}:{real_port} ({store.dialect}); "
            f"docs at /docs, metrics at /metrics. Ctrl-C stops."
        )
        config = uvicorn.Config(
            create_app(store, base_dir=base_dir),
            access_log=access_log,
            log_level="info" if access_log else "warning",
        )
        try:
            StandaloneServer(config).run(sockets=[sock])
        finally:
            sock.close()
            store.close()
