"""Campaign names are slugs, and a campaign's files stay under its data folder.

A campaign's name becomes a folder (``recordings/NAME/``, ``transcripts/NAME/``), so it
is a slug: 1 to 64 characters among lowercase ASCII letters, digits, ``-`` and ``_``,
starting with a letter or a digit. ``../../x``, ``/etc`` or ``Été 2026`` are refused
where a name comes in (the campaign file, the store); :func:`campaign_file` checks again
where a path is made, so a name that got into a store some other way cannot escape.
"""

from __future__ import annotations

import re
from pathlib import Path

SLUG = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
SLUG_RULE = (
    "1 to 64 characters: lowercase letters a-z, digits, '-' and '_', "
    "starting with a letter or a digit"
)


class UnsafeCampaignPath(ValueError):
    """A campaign name or file name that would leave the campaign's data folder."""


def check_slug(name: str) -> str:
    """``name`` when it is a valid campaign name; ValueError saying the rule otherwise."""
    if not SLUG.fullmatch(name):
        raise ValueError(f"campaign name {name!r} is not a slug ({SLUG_RULE})")
    return name


def suggest_slug(name: str) -> str:
    """A slug close to ``name`` (for error messages): "Été 2026" -> "ete-2026"."""
    import unicodedata

    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9_-]+", "-", plain).strip("-_")[:64]
    return slug or "campaign"


def campaign_file(base: Path, campaign: str, filename: str) -> Path:
    """``base/campaign/filename``, refused unless it stays inside ``base/campaign``."""
    try:
        check_slug(campaign)
    except ValueError as exc:
        raise UnsafeCampaignPath(str(exc)) from None
    if not filename or Path(filename).name != filename or filename in (".", ".."):
        raise UnsafeCampaignPath(f"file name {filename!r} is not a plain name")
    folder = (base / campaign).resolve()
    path = (folder / filename).resolve()
    if path.parent != folder:
        raise UnsafeCampaignPath(f"{path} is outside {folder}")
    return base / campaign / filename
