"""What the console needs beyond the store: where scenarios and campaign files live, and
how to draw a scenario (given by the CLI, which may use the compiler)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

GraphRenderer = Callable[[str, Mapping[str, str]], bytes | None]


@dataclass(frozen=True)
class ConsoleConfig:
    scenarios_dir: Path = Path("scenarios")
    campaigns_dir: Path = Path("campaigns")
    defaults: Path | None = None  # a campaign file whose settings new campaigns copy
    graph: GraphRenderer | None = None  # scenario path, step notes -> SVG
