"""``mbs purge`` (retention) and ``mbs contacts forget NUMBER`` (erasure), and
``mbs webhook test|deliver``."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer

from mbs.cli.common import DatabaseOpt
from mbs.cli.output import EXIT_RUNTIME, EXIT_USAGE, abort, out


def _secret(env: str) -> str:
    secret = os.environ.get(env, "")
    if not secret:
        abort(f"the environment variable {env} (the webhook's signing secret) is not set")
    return secret


def _check_base_dir(base_dir: Path) -> None:
    """Stored file paths are relative to ``base_dir``: under a wrong one no file is found,
    the rows lose their paths and the files (which hold numbers and answers) stay on disk
    for good. So refuse it before touching anything."""
    if not base_dir.is_dir():
        abort(f"--base-dir {base_dir}: no such folder (nothing was deleted)", EXIT_USAGE)


def _cutoff(days: int) -> datetime:
    """Now minus ``days``, or exit 2 when that is before year 1 (datetime's range)."""
    try:
        return datetime.now(UTC) - timedelta(days=days)
    except OverflowError:
        abort(f"--older-than-days {days}: that goes back before year 1", EXIT_USAGE)


def register(app: typer.Typer) -> None:
    @app.command("purge")
    def purge_cmd(
        days: Annotated[
            int,
            typer.Option("--older-than-days", min=1, help="Keep the talk of the last N days."),
        ],
        base_dir: Annotated[
            Path, typer.Option("--base-dir", help="Where relative file paths are read from.")
        ] = Path("."),
        campaign: Annotated[
            str | None, typer.Option("--campaign", help="Only this campaign's calls.")
        ] = None,
        database: DatabaseOpt = None,
    ) -> None:
        """Delete transcripts, recordings and event logs of calls ended more than N days ago.

        The calls' rows stay (figures and the law's attempt counts do not change).
        """
        from mbs.campaign.privacy import purge
        from mbs.cli.common import open_store

        before = _cutoff(days)
        _check_base_dir(base_dir)
        store = open_store(database)
        try:
            if campaign is not None and store.get_campaign(campaign) is None:
                abort(
                    f"no campaign named {campaign!r} in the store (nothing was deleted)", EXIT_USAGE
                )
            report = purge(store, before=before, base_dir=base_dir, campaign=campaign)
        finally:
            store.close()
        out.print(f"purged {report.calls} calls ({report.files} files deleted)")
        if report.absent:
            out.print(
                f"{report.absent} stored files were not found here (already gone, or on "
                "another host: a switch keeps its recordings on its own disk, purge them there)"
            )
        if report.kept:
            abort(
                f"{report.kept} files could not be deleted (permissions?): their paths are "
                "kept, run the purge again once they can be",
                EXIT_RUNTIME,
            )

    webhook = typer.Typer(help="Webhooks: send a test event, deliver the outbox.")

    @webhook.command("test")
    def webhook_test(
        url: Annotated[str, typer.Option("--url", help="Where to POST.")],
        secret_env: Annotated[
            str, typer.Option("--secret-env", help="Variable holding the signing secret.")
        ] = "MBS_WEBHOOK_SECRET",
    ) -> None:
        """POST a signed test event to URL and say how it answered."""
        import httpx

        from mbs.campaign.webhooks import post_event

        now = datetime.now(UTC)
        payload = {"event": "test", "sent_at": now.isoformat()}
        with httpx.Client(timeout=10.0) as client:
            problem = post_event(
                client, url, _secret(secret_env), f"test:{int(now.timestamp())}", payload, now
            )
        if problem:
            abort(f"webhook test to {url} failed: {problem}", EXIT_RUNTIME)
        out.print(f"webhook test to {url}: accepted")

    @webhook.command("deliver")
    def webhook_deliver(
        url: Annotated[str, typer.Option("--url", help="Where to POST.")],
        secret_env: Annotated[
            str, typer.Option("--secret-env", help="Variable holding the signing secret.")
        ] = "MBS_WEBHOOK_SECRET",
        database: DatabaseOpt = None,
    ) -> None:
        """Deliver what is due in the outbox now (what a running campaign does every second)."""
        from mbs.campaign.webhooks import WebhookSender, pending
        from mbs.cli.common import open_store

        store = open_store(database)
        sender = WebhookSender(store, url, _secret(secret_env))
        try:
            done = sender.deliver_due(datetime.now(UTC), limit=1000)
            left = pending(store)
        finally:
            sender.close()
            store.close()
        out.print(f"{done.sent} delivered, {done.failed} failed, {left} waiting")

    app.add_typer(webhook, name="webhook")


def register_forget(contacts: typer.Typer) -> None:
    """``mbs contacts forget``, added to the ``contacts`` group by ``contacts_cmd``."""

    @contacts.command("forget")
    def forget_cmd(
        phone: Annotated[str, typer.Argument(help="The number, as +33... or 06...")],
        region: Annotated[str, typer.Option("--region")] = "FR",
        base_dir: Annotated[
            Path, typer.Option("--base-dir", help="Where relative file paths are read from.")
        ] = Path("."),
        database: DatabaseOpt = None,
    ) -> None:
        """Erase a person: contact, calls, events, transcripts, recordings; keep only the
        SHA-256 of the number so they are never called again."""
        from mbs.campaign.contacts import parse_phone
        from mbs.campaign.privacy import forget
        from mbs.cli.common import open_store

        try:
            number = parse_phone(phone, region)
        except ValueError as exc:
            abort(f"{phone}: {exc}", EXIT_USAGE)
        _check_base_dir(base_dir)
        store = open_store(database)
        try:
            report = forget(store, number, now=datetime.now(UTC), base_dir=base_dir)
        finally:
            store.close()
        if not report.found:
            out.print(f"{number}: nothing stored; its hash is kept so it is never called")
        else:
            out.print(
                f"{number} forgotten: {report.calls} calls, {report.files} files deleted; "
                "its hash is kept so it is never called again"
            )
