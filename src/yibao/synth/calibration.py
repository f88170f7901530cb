"""The calibration data: published national figures (targets) and the generator's assumptions.

Both live in ``data/calibration.yaml`` so a figure can be corrected in one place; this module only
reads them and says where each came from.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from yibao import yamlfile

DATA = Path(__file__).resolve().parent.parent / "data" / "calibration.yaml"


class CalibrationError(ValueError):
    pass


@dataclass(frozen=True)
class Figure:
    """One published figure and where it was published."""

    name: str
    year: int
    value: Any
    unit: str
    source: str  # the publication's title
    clause: str

    def cite(self) -> str:
        return f"{self.source} {self.clause}".strip()


@dataclass(frozen=True)
class Calibration:
    raw: dict[str, Any]

    def figure(self, year: int, name: str) -> Figure:
        """A published figure of ``year``; else of the nearest year that has it (earlier first)."""
        years = sorted(self.raw["figures"], key=lambda y: (abs(y - year), y > year))
        for y in years:
            node = self.raw["figures"][y].get(name)
            if node is not None:
                source = self.raw["sources"][node["source"]]["title"]
                return Figure(
                    name,
                    y,
                    node["value"],
                    str(node.get("unit", "")),
                    source,
                    str(node.get("clause", "")),
                )
        raise CalibrationError(f"calibration: no published figure {name!r}")

    def profile(self, region: str) -> str:
        profiles = self.raw["region_profiles"]
        return str(profiles.get(region, profiles["default"]))

    def assumption(self, name: str, profile: str | None = None) -> Any:
        node = self.raw["assumptions"].get(name)
        if node is None:
            raise CalibrationError(f"calibration: no assumption {name!r}")
        if profile is not None and "value" not in node:
            node = node.get(profile)
            if node is None:
                raise CalibrationError(
                    f"calibration: assumption {name!r} has no profile {profile!r}"
                )
        return node["value"]

    def assumptions(self) -> list[tuple[str, Any, str]]:
        """(name, value, note) of every assumption, for the documentation."""
        out: list[tuple[str, Any, str]] = []
        for name, node in self.raw["assumptions"].items():
            if "value" in node:
                out.append((name, node["value"], str(node.get("note", ""))))
            else:
                for profile, sub in node.items():
                    out.append((f"{name}.{profile}", sub["value"], str(sub.get("note", ""))))
        return out


@functools.lru_cache(maxsize=1)
def load_calibration(path: Path = DATA) -> Calibration:
    data = yamlfile.load(path.read_text(encoding="utf-8"))
    for name, node in data["assumptions"].items():
        nodes = [node] if "value" in node else list(node.values())
        for sub in nodes:
            if sub.get("assumed") and not sub.get("note"):
                raise CalibrationError(f"{path}: assumption {name}: an assumed value needs a note")
    for year, figures in data["figures"].items():
        for name, node in figures.items():
            if node.get("source") not in data["sources"]:
                raise CalibrationError(
                    f"{path}: figures.{year}.{name}: unknown source {node.get('source')!r}"
                )
    return Calibration(data)
