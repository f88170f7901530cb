"""The region registry (行政区划代码) and each region's chain of parents."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from yibao import yamlfile
from yibao.policy.errors import PolicyError

NATIONAL = "000000"
LEVELS = ("national", "province", "city", "county")


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    level: str
    parent: str | None


class RegionRegistry:
    def __init__(self, regions: dict[str, Region]) -> None:
        self._regions = regions

    @classmethod
    def load(cls, path: Path) -> RegionRegistry:
        try:
            rows = yamlfile.load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise PolicyError(f"{path}: not valid YAML: {exc}") from exc
        regions: dict[str, Region] = {}
        for i, row in enumerate(rows or []):
            try:
                region = Region(
                    code=str(row["code"]),
                    name=str(row["name"]),
                    level=str(row["level"]),
                    parent=str(row["parent"]) if row.get("parent") else None,
                )
            except (KeyError, TypeError) as exc:
                raise PolicyError(f"{path}: entry {i}: needs code, name and level") from exc
            if region.level not in LEVELS:
                raise PolicyError(f"{path}: {region.code}: level must be one of {LEVELS}")
            if region.code in regions:
                raise PolicyError(f"{path}: {region.code} is listed twice")
            regions[region.code] = region
        for region in regions.values():
            if region.parent is not None and region.parent not in regions:
                raise PolicyError(f"{path}: {region.code}: parent {region.parent} is not listed")
        return cls(regions)

    def get(self, code: str) -> Region:
        code = str(code).strip()
        if code not in self._regions:
            raise PolicyError(
                f"unknown region {code!r}: not a 行政区划代码 yibao knows (see `yibao policy list`)"
            )
        return self._regions[code]

    def __contains__(self, code: object) -> bool:
        return code in self._regions

    def chain(self, code: str) -> list[Region]:
        """Root first: 000000 → province → city → county."""
        out: list[Region] = []
        region: Region | None = self.get(code)
        while region is not None:
            out.append(region)
            region = self._regions[region.parent] if region.parent else None
            if len(out) > len(LEVELS):
                raise PolicyError(f"region {code}: parent chain loops")
        return list(reversed(out))

    def children(self, code: str) -> list[Region]:
        return [r for r in self._regions.values() if r.parent == code]

    def all(self) -> list[Region]:
        return sorted(self._regions.values(), key=lambda r: r.code)

    def province_of(self, code: str) -> Region:
        for region in self.chain(code):
            if region.level == "province":
                return region
        raise PolicyError(f"region {code} has no province")
