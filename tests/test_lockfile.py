"""The locks (requirements/*.txt, written by `make lock`) against pyproject.toml, offline.

Every dependency that pyproject.toml names for Python 3.11 on Linux x86_64 (runtime, and the
extras each lock covers) is pinned with == and sha256 hashes, at a version inside pyproject's
range; no entry of a lock lacks a hash; the bench lock agrees with the main lock on every
package they share (`make bench` installs it over the main install).
"""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements" / "lock.txt"
BENCH_LOCK = ROOT / "requirements" / "lock-bench.txt"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))

# The machines the locks are for (uv pip compile --python-version 3.11 --python-platform x86_64 Linux).
TARGET = {
    "implementation_name": "cpython",
    "platform_python_implementation": "CPython",
    "os_name": "posix",
    "sys_platform": "linux",
    "platform_system": "Linux",
    "platform_machine": "x86_64",
    "python_version": "3.11",
    "python_full_version": "3.11.0",
}

HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


def parse_lock(path: Path) -> dict[str, tuple[str, str, list[str]]]:
    """name -> (operator, version, hashes) for each entry; comments and blank lines dropped."""
    logical: list[str] = []
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        pending += line
        if pending.strip():
            logical.append(pending.strip())
        pending = ""
    assert not pending.strip(), f"{path.name}: ends inside a continued line"
    entries: dict[str, tuple[str, str, list[str]]] = {}
    for entry in logical:
        assert not entry.startswith("-"), f"{path.name}: option line {entry!r} (no -e, no index)"
        spec, *options = entry.split()
        m = re.fullmatch(
            r"([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*(===|==|~=|>=|<=|>|<|!=)?(.*)", spec
        )
        assert m, f"{path.name}: cannot read {spec!r}"
        name = canonicalize_name(m.group(1))
        assert name not in entries, f"{path.name}: {name} twice"
        hashes = [o for o in options if o.startswith("--hash=")]
        assert len(hashes) == len(options), f"{path.name}: {name} has options other than --hash"
        entries[name] = (m.group(2) or "", m.group(3), hashes)
    return entries


def named(groups: list[str]) -> list[Requirement]:
    """pyproject's runtime dependencies plus the given extras, those whose marker holds on TARGET."""
    lines = list(PYPROJECT["project"]["dependencies"])
    for group in groups:
        lines += PYPROJECT["project"]["optional-dependencies"][group]
    reqs = [Requirement(line) for line in lines]
    return [r for r in reqs if r.marker is None or r.marker.evaluate({**TARGET, "extra": ""})]


LOCKS = [(LOCK, ["dev", "spark"]), (BENCH_LOCK, ["dev", "spark", "bench"])]


@pytest.fixture(scope="module", params=LOCKS, ids=lambda p: p[0].name)
def lock(request):
    path, groups = request.param
    return path, groups, parse_lock(path)


def test_every_entry_is_pinned_with_a_hash(lock):
    path, _, entries = lock
    assert len(entries) > 20, f"{path.name}: too few entries to be the lock"
    for name, (op, version, hashes) in entries.items():
        assert op == "==", f"{path.name}: {name} is {op}{version}, not pinned with =="
        Version(version)  # a plain version, not a wildcard
        assert hashes, f"{path.name}: {name}=={version} has no --hash"
        for h in hashes:
            assert HASH.fullmatch(h), f"{path.name}: {name}: {h!r} is not a sha256 hash"


def test_every_pyproject_dependency_is_locked_within_its_range(lock):
    path, groups, entries = lock
    for req in named(groups):
        name = canonicalize_name(req.name)
        assert name in entries, f"{path.name}: {req} (pyproject.toml) is not in the lock"
        _, version, _ = entries[name]
        assert req.specifier.contains(version, prereleases=True), (
            f"{path.name}: {name}=={version} is outside pyproject.toml's {req}"
        )


def test_the_project_itself_is_not_in_the_lock(lock):
    path, _, entries = lock
    assert canonicalize_name(PYPROJECT["project"]["name"]) not in entries, (
        f"{path.name}: the project is installed editable with --no-deps, not from the lock"
    )


def test_bench_lock_agrees_with_the_main_lock():
    main, bench = parse_lock(LOCK), parse_lock(BENCH_LOCK)
    missing = sorted(set(main) - set(bench))
    assert not missing, f"lock-bench.txt lacks {missing}"
    differ = {n: (main[n][1], bench[n][1]) for n in main if main[n][1] != bench[n][1]}
    assert not differ, f"lock.txt and lock-bench.txt pin different versions: {differ}"


def test_pandas_is_one_pyspark_accepts_without_warning():
    """PySpark 4 warns (FutureWarning) on pandas >= 3; below 2.2 it refuses."""
    entries = parse_lock(LOCK)
    pandas, pyspark = Version(entries["pandas"][1]), Version(entries["pyspark"][1])
    assert Version("2.2") <= pandas < Version("3"), f"pandas {pandas} with pyspark {pyspark}"
