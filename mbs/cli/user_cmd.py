"""``mbs user``: console users (admin, supervisor, viewer) with argon2-hashed passwords."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from typing import Annotated

import typer

from mbs.cli.output import EXIT_USAGE, abort, emit_row, out


def register(app: typer.Typer) -> None:
    user = typer.Typer(help="Console users: add, list.", no_args_is_help=True)

    @user.command("add")
    def add(
        username: Annotated[str, typer.Argument(help="Log-in name.")],
        role: Annotated[
            str, typer.Option("--role", help="admin, supervisor or viewer.")
        ] = "viewer",
        password_env: Annotated[
            str | None,
            typer.Option(
                "--password-env",
                help="Read the password from this environment variable (else it is asked).",
            ),
        ] = None,
        replace: Annotated[
            bool, typer.Option("--replace", help="Set a new password and role if the user exists.")
        ] = False,
    ) -> None:
        """Add a console user (the password is asked twice, or read from --password-env)."""
        from mbs.api.auth import Role, check_password_rules, check_username, hash_password
        from mbs.campaign.store import StoreError
        from mbs.cli.common import open_store

        problem = check_username(username)
        if problem:
            abort(problem, EXIT_USAGE)
        try:
            chosen = Role(role)
        except ValueError:
            abort(f"unknown role {role!r} (use admin, supervisor or viewer)", EXIT_USAGE)
        if password_env:
            password = os.environ.get(password_env)
            if password is None:
                abort(f"environment variable {password_env} is not set", EXIT_USAGE)
        elif sys.stdin.isatty():
            password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
        else:
            password = sys.stdin.readline().rstrip("\n")
        problem = check_password_rules(password)
        if problem:
            abort(problem, EXIT_USAGE)
        store = open_store()
        try:
            store.add_user(
                username,
                hash_password(password),
                chosen.value,
                now=datetime.now(UTC),
                replace=replace,
            )
        except StoreError as exc:
            abort(f"{exc} (use --replace to change it)", EXIT_USAGE)
        finally:
            store.close()
        out.print(f"user {username} ({chosen.value}) saved")

    @user.command("list")
    def list_() -> None:
        """List the console users."""
        from mbs.cli.common import open_store

        store = open_store()
        try:
            for u in store.list_users():
                state = " (disabled)" if u.disabled else ""
                emit_row(u.username, f"{u.role}{state}")
        finally:
            store.close()

    app.add_typer(user, name="user")
