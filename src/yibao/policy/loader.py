"""Load policy files and resolve a region and year through its parents.

A file is ``policies/<code>/<year>.yaml``. Its ``parameters`` tree is flattened to dotted
paths; a mapping with a ``value`` key is one parameter. Resolution for (code, year) layers the
files of each jurisdiction on the chain 000000 → province → city → county, root first; a child
may only override a parameter its parent already defines. A file may ``extends`` an earlier year
of the same jurisdiction explicitly (nothing is carried over silently).
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from yibao import yamlfile
from yibao.policy.errors import PolicyError
from yibao.policy.regions import NATIONAL, Region, RegionRegistry

if TYPE_CHECKING:  # the model (pydantic) is imported when a policy is resolved, not before:
    from pydantic import ValidationError  # `yibao policy list` does not pay for it

    from yibao.policy.model import Policy

PACKAGE_POLICY_DIR = Path(__file__).resolve().parent.parent / "policies"
PARAM_KEYS = {"value", "source", "clause", "assumed", "note", "unit"}
FILE_KEYS = {"region", "year", "extends", "document", "documents", "coverage", "parameters"}


@dataclass(frozen=True)
class RawParam:
    path: str
    value: Any
    source: str
    clause: str
    assumed: bool
    note: str
    unit: str
    file: str

    def as_leaf(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "source": self.source,
            "clause": self.clause,
            "assumed": self.assumed,
            "note": self.note,
            "unit": self.unit,
            "file": self.file,
            "path": self.path,
            "raw": self.value,
        }


@dataclass
class PolicyFile:
    path: Path
    region: str
    year: int
    extends: int | None
    documents: dict[str, dict[str, str]]
    coverage: tuple[dt.date, dt.date] | None
    params: dict[str, RawParam] = field(default_factory=dict)


def flatten_parameters(
    tree: Any, prefix: str, file: Path | str, default_source: str, require_clause: bool = True
) -> dict[str, RawParam]:
    """A ``parameters`` tree as dotted paths → parameters. A policy file must cite a clause for
    every value it does not mark assumed; a reform proposal (``require_clause=False``) need not."""
    out: dict[str, RawParam] = {}
    if not isinstance(tree, dict):
        raise PolicyError(f"{file}: {prefix or 'parameters'}: expected a mapping")
    for key, node in tree.items():
        path = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(node, dict) and "value" in node:
            unknown = set(node) - PARAM_KEYS
            if unknown:
                raise PolicyError(f"{file}: {path}: unknown keys {sorted(unknown)}")
            source = node.get("source") or default_source
            if not source:
                raise PolicyError(f"{file}: {path}: missing source (document number)")
            assumed = bool(node.get("assumed", False))
            if assumed and not node.get("note"):
                raise PolicyError(f"{file}: {path}: an assumed value needs a note")
            if require_clause and not assumed and not node.get("clause"):
                raise PolicyError(f"{file}: {path}: missing clause (cite where the notice says it)")
            out[path] = RawParam(
                path=path,
                value=node["value"],
                source=str(source),
                clause=str(node.get("clause", "")),
                assumed=assumed,
                note=str(node.get("note", "")),
                unit=str(node.get("unit", "")),
                file=str(file),
            )
        elif isinstance(node, dict):
            out.update(flatten_parameters(node, path, file, default_source, require_clause))
        else:
            raise PolicyError(
                f"{file}: {path}: a parameter must be a mapping with value, source and clause"
            )
    return out


def parse_policy_file(path: Path) -> PolicyFile:
    try:
        data = yamlfile.load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise PolicyError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise PolicyError(f"{path}: expected a mapping at the top")
    unknown = set(data) - FILE_KEYS
    if unknown:
        raise PolicyError(f"{path}: unknown top-level keys {sorted(unknown)}")
    region = str(data.get("region", ""))
    if region != path.parent.name:
        raise PolicyError(f"{path}: region {region!r} does not match its folder {path.parent.name}")
    try:
        year = int(data["year"])
    except (KeyError, TypeError, ValueError) as exc:
        raise PolicyError(f"{path}: year: missing or not a number") from exc
    if str(year) != path.stem:
        raise PolicyError(f"{path}: year {year} does not match the file name")
    extends = data.get("extends")
    if extends is not None and (not isinstance(extends, int) or extends >= year):
        raise PolicyError(f"{path}: extends: must be an earlier year, got {extends!r}")
    documents = data.get("documents") or {}
    if not isinstance(documents, dict):
        raise PolicyError(f"{path}: documents: expected a mapping")
    coverage = None
    if data.get("coverage"):
        cov = data["coverage"]
        try:
            coverage = (
                dt.date.fromisoformat(str(cov["from"])),
                dt.date.fromisoformat(str(cov["to"])),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise PolicyError(f"{path}: coverage: needs from and to as dates") from exc
    name = Path(path.parent.name) / path.name
    params = flatten_parameters(
        data.get("parameters") or {}, "", name, str(data.get("document") or "")
    )
    docs = {str(k): {kk: str(vv) for kk, vv in (v or {}).items()} for k, v in documents.items()}
    return PolicyFile(path, region, year, extends, docs, coverage, params)


def _unflatten(flat: dict[str, RawParam]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    for path, raw in flat.items():
        node = tree
        parts = path.split(".")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = raw.as_leaf()
    return tree


def _describe_validation(exc: ValidationError, flat: dict[str, RawParam]) -> str:
    lines = []
    for err in exc.errors()[:8]:
        loc = [str(p) for p in err["loc"]]
        # Find the parameter (dotted prefix of the location) to name its file.
        file = ""
        for i in range(len(loc), 0, -1):
            candidate = ".".join(loc[:i])
            if candidate in flat:
                file = flat[candidate].file
                break
        key = ".".join(p for p in loc if p != "value")
        lines.append(f"{file or '<resolved policy>'}: {key}: {err['msg']}")
    return "; ".join(lines)


def _coverage_period(flat: dict[str, RawParam], year: int) -> tuple[dt.date, dt.date]:
    """The coverage period (保障周期) of ``year``: derived from ``enrollment.coverage_start`` and
    ``enrollment.coverage_end``, the one source of it (``meta.coverage_from/to`` follow)."""
    days = []
    for key in ("enrollment.coverage_start", "enrollment.coverage_end"):
        raw = flat.get(key)
        if raw is None:
            raise PolicyError(f"<resolved policy>: {key}: missing")
        try:
            month, day = (int(p) for p in str(raw.value).split("-"))
            days.append(dt.date(year, month, day))
        except (TypeError, ValueError):
            raise PolicyError(
                f"{raw.file}: {key}: {raw.value!r} is not a month-day (MM-DD) of {year}"
            ) from None
    start, end = days
    if end < start:
        raw = flat["enrollment.coverage_end"]
        raise PolicyError(
            f"{raw.file}: enrollment.coverage_end: {raw.value} is before coverage_start "
            f"{flat['enrollment.coverage_start'].value} (a coverage year lies within one calendar year)"
        )
    return start, end


def _check_file_coverage(
    pf: PolicyFile, cov_from: dt.date, cov_to: dt.date, flat: dict[str, RawParam]
) -> None:
    """A file's ``coverage:`` must say what ``enrollment.coverage_start/end`` say."""
    assert pf.coverage is not None
    name = Path(pf.path.parent.name) / pf.path.name
    for key, stated, derived, param in (
        ("coverage.from", pf.coverage[0], cov_from, "enrollment.coverage_start"),
        ("coverage.to", pf.coverage[1], cov_to, "enrollment.coverage_end"),
    ):
        if stated != derived:
            raise PolicyError(
                f"{name}: {key}: {stated} disagrees with {param} {flat[param].value} "
                f"({flat[param].file}), which gives {derived}"
            )


def _check_total_standard(policy: Policy) -> None:
    """A stated total standard (内蒙古 一: 筹资标准 1020 元 = 财政补助 640 + 个人缴费 380) must be
    the fiscal subsidy plus the 一档 personal contribution; a file that says otherwise is refused."""
    from yibao.money import format_yuan

    fin = policy.financing
    total = fin.total_standard_min
    if total.value is None:
        return
    fiscal = fin.fiscal_subsidy_per_capita
    personal = fin.personal_contribution
    parts = fiscal.value + personal.value["1"]
    if parts != total.value:
        raise PolicyError(
            f"{total.file}: financing.total_standard_min: {format_yuan(total.value)}元 is not "
            f"fiscal_subsidy_per_capita {format_yuan(fiscal.value)}元 ({fiscal.file}) + "
            f"personal_contribution 一档 {format_yuan(personal.value['1'])}元 ({personal.file}) "
            f"= {format_yuan(parts)}元"
        )


class PolicyLibrary:
    """All policy files under one folder, with the region registry beside them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.regions = RegionRegistry.load(root / "regions.yaml")
        self._files: dict[tuple[str, int], Path] = {}
        for path in sorted(root.glob("*/*.yaml")):
            if not path.stem.isdigit():
                continue
            code = path.parent.name
            if code not in self.regions:
                raise PolicyError(f"{path}: folder {code} is not in regions.yaml")
            self._files[(code, int(path.stem))] = path
        self._cache: dict[tuple[str, int], Policy] = {}

    def available(self) -> list[tuple[Region, list[int]]]:
        years: dict[str, list[int]] = {}
        for code, year in sorted(self._files):
            years.setdefault(code, []).append(year)
        return [(self.regions.get(code), ys) for code, ys in sorted(years.items())]

    def years_of(self, code: str) -> list[int]:
        return sorted(y for c, y in self._files if c == code)

    @functools.lru_cache(maxsize=256)  # noqa: B019 - the library lives as long as the process
    def _file(self, code: str, year: int) -> PolicyFile:
        return parse_policy_file(self._files[(code, year)])

    def _jurisdiction_layer(
        self, code: str, year: int
    ) -> tuple[dict[str, RawParam], list[PolicyFile]]:
        """One jurisdiction's own parameters for a year, following its explicit ``extends``.
        Returns the parameters and the files used, oldest first."""
        pf = self._file(code, year)
        if pf.extends is None:
            return dict(pf.params), [pf]
        if (code, pf.extends) not in self._files:
            raise PolicyError(
                f"{pf.path}: extends {pf.extends}, but {code}/{pf.extends}.yaml is missing"
            )
        base, used = self._jurisdiction_layer(code, pf.extends)
        base.update(pf.params)
        return base, [*used, pf]

    def policy_region(self, code: str) -> Region:
        """The nearest region on the chain (itself first) that has policy files of its own."""
        for region in reversed(self.regions.chain(code)):
            if self.years_of(region.code):
                return region
        raise PolicyError(f"region {code}: no policy files on its chain")

    def resolve(self, code: str, year: int) -> Policy:
        key = (str(code), int(year))
        if key not in self._cache:
            self._cache[key] = self._resolve(*key)
        return self._cache[key]

    def resolve_at(self, code: str, day: dt.date) -> Policy:
        return self.resolve(code, day.year)

    def _resolve(self, code: str, year: int) -> Policy:
        chain = self.regions.chain(code)
        owner = self.policy_region(code)
        if (owner.code, year) not in self._files:
            have = ", ".join(str(y) for y in self.years_of(owner.code)) or "none"
            raise PolicyError(
                f"no policy for {owner.code} ({owner.name}) in {year}: policy years available: {have}"
            )
        flat: dict[str, RawParam] = {}
        files: list[str] = []
        documents: dict[str, dict[str, str]] = {}
        coverage_files: list[PolicyFile] = []
        for region in chain:
            if (region.code, year) not in self._files:
                continue
            layer, used = self._jurisdiction_layer(region.code, year)
            if region.code != NATIONAL or flat:
                parent = files[-1] if files else "(nothing)"
                for path, raw in layer.items():
                    if path not in flat:
                        raise PolicyError(
                            f"{raw.file}: {path}: overrides a key that its parent ({parent}) "
                            "does not define"
                        )
            flat.update(layer)
            for pf in used:
                files.append(str(pf.path.relative_to(self.root)))
                documents.update(pf.documents)
                if pf.coverage is not None and pf.year == year:
                    coverage_files.append(pf)
        if not files or not files[0].startswith(NATIONAL):
            raise PolicyError(f"no national policy file (000000/{year}.yaml) for {year}")
        cov_from, cov_to = _coverage_period(flat, year)
        for pf in coverage_files:
            _check_file_coverage(pf, cov_from, cov_to, flat)
        tree = _unflatten(flat)
        tree["meta"] = {
            "code": code,
            "name": self.regions.get(code).name,
            "year": year,
            "coverage_from": cov_from,
            "coverage_to": cov_to,
            "chain": tuple(r.code for r in chain),
            "files": tuple(files),
            "documents": documents,
        }
        from pydantic import ValidationError

        from yibao.policy.model import Policy

        try:
            policy = Policy.model_validate(tree)
        except ValidationError as exc:
            raise PolicyError(_describe_validation(exc, flat)) from exc
        _check_total_standard(policy)
        return policy

    def check_all(self) -> list[tuple[str, int]]:
        """Resolve every file's region and year; raises on the first bad one."""
        done = []
        for code, year in sorted(self._files):
            self.resolve(code, year)
            done.append((code, year))
        return done


def policy_dir() -> Path:
    return Path(os.environ.get("YIBAO_POLICY_DIR") or PACKAGE_POLICY_DIR)


@functools.lru_cache(maxsize=4)
def _library_at(root: str) -> PolicyLibrary:
    return PolicyLibrary(Path(root))


def default_library() -> PolicyLibrary:
    return _library_at(str(policy_dir()))


def clear_default_library() -> None:
    """Read the files afresh on the next ``default_library()`` (policy.caches)."""
    _library_at.cache_clear()


def load_policy(code: str, year: int) -> Policy:
    return default_library().resolve(code, year)
