"""``mbs models install|list``: speech models in the one models folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mbs.cli.output import EXIT_RUNTIME, abort, out


def register(app: typer.Typer) -> None:
    models = typer.Typer(
        help="Speech models (Vosk): install once, then every campaign finds them.",
        no_args_is_help=True,
    )

    @models.command("install")
    def install(
        kind: Annotated[str, typer.Argument(help="Model kind: vosk.")],
        source: Annotated[
            str, typer.Argument(help="Archive (zip, tar): a path, file:// or http(s):// URL.")
        ],
        sha256: Annotated[
            str, typer.Option("--sha256", help="The archive's sha256 (64 hex digits).")
        ],
        name: Annotated[
            str | None, typer.Option("--name", help="Folder name (default: the archive's).")
        ] = None,
        models_dir: Annotated[
            Path | None,
            typer.Option(
                "--models-dir", help="Models folder (default $MBS_MODELS_DIR, else var/models)."
            ),
        ] = None,
        force: Annotated[
            bool, typer.Option("--force", help="Replace a model of that name.")
        ] = False,
    ) -> None:
        """Check an archive's sha256, unpack it and make it the current model of KIND."""
        from mbs.runtime.builtins.models import ModelError
        from mbs.runtime.builtins.models import install as do_install
        from mbs.runtime.builtins.models import models_dir as default_dir

        root = default_dir(models_dir)
        try:
            done = do_install(kind, source, sha256=sha256, root=root, name=name, force=force)
        except ModelError as exc:
            abort(str(exc), EXIT_RUNTIME)
        except OSError as exc:
            abort(f"cannot install the model: {exc.strerror or exc}", EXIT_RUNTIME)
        out.print(
            f"installed {done.kind} model {done.name} at {done.path} (sha256 {done.sha256}); now current"
        )

    @models.command("list")
    def list_models(
        models_dir: Annotated[
            Path | None,
            typer.Option(
                "--models-dir", help="Models folder (default $MBS_MODELS_DIR, else var/models)."
            ),
        ] = None,
    ) -> None:
        """The installed models, the current one of each kind marked with *."""
        from mbs.runtime.builtins.models import KINDS, current_model
        from mbs.runtime.builtins.models import models_dir as default_dir

        root = default_dir(models_dir)
        for kind in KINDS:
            folder = root / kind
            current = current_model(kind, root)
            names = (
                sorted(
                    p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")
                )
                if folder.is_dir()
                else []
            )
            for name in names:
                mark = "*" if current is not None and current.name == name else " "
                out.print(f"{mark} {kind} {name}  {folder / name}")
            if not names:
                out.print(f"  {kind}: none installed in {folder}")

    app.add_typer(models, name="models")
