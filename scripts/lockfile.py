"""Tie requirements/*.txt to the pyproject.toml dependency lists they were resolved from.

scripts/lock writes the lock files and then ``stamp``s them with a digest of pyproject.toml's
``requires-python``, ``dependencies`` and ``optional-dependencies``; scripts/bootstrap and the
test suite run ``check``, which fails, naming the refresh command, when someone edited those
lists without refreshing the lock (the install would otherwise silently lack the new
package). Only the dependency lists count: editing tool settings in pyproject.toml does not
make the lock stale. Standard library only, so it runs before any package is installed.

Usage: ``python scripts/lockfile.py check|digest|stamp [ROOT]`` (ROOT defaults to the
repository this file lives in).
"""

from __future__ import annotations

import hashlib
import json
import sys
import tomllib
from pathlib import Path

LOCKS = ("requirements/lock.txt", "requirements/bench.txt")
REFRESH = "scripts/lock"
PREFIX = "# pyproject-dependencies-sha256: "


def digest(pyproject: Path) -> str:
    """Hash what the resolver reads from pyproject.toml, order of entries ignored."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    inputs = {
        "requires-python": project.get("requires-python", ""),
        "dependencies": sorted(d.strip() for d in project.get("dependencies", [])),
        "optional-dependencies": {
            extra: sorted(d.strip() for d in deps)
            for extra, deps in project.get("optional-dependencies", {}).items()
        },
    }
    canonical = json.dumps(inputs, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def recorded(lock: Path) -> str | None:
    """The digest a lock file was stamped with, or None when it has none (or is missing)."""
    if not lock.is_file():
        return None
    for line in lock.read_text(encoding="utf-8").splitlines():
        if line.startswith(PREFIX):
            return line.removeprefix(PREFIX).strip()
    return None


def stamp(lock: Path, value: str) -> None:
    """Write the digest line after uv's header comment, replacing an older one."""
    lines = lock.read_text(encoding="utf-8").splitlines()
    lines = [ln for ln in lines if not ln.startswith(PREFIX)]
    at = next((i for i, ln in enumerate(lines) if not ln.startswith("#")), len(lines))
    lines.insert(at, PREFIX + value)
    lock.write_text("\n".join(lines) + "\n", encoding="utf-8")


def stale(root: Path) -> list[str]:
    """Lock files (relative paths) whose digest does not match pyproject.toml."""
    want = digest(root / "pyproject.toml")
    return [name for name in LOCKS if recorded(root / name) != want]


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    root = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent
    if command == "digest":
        print(digest(root / "pyproject.toml"))
        return 0
    if command == "stamp":
        value = digest(root / "pyproject.toml")
        for name in LOCKS:
            stamp(root / name, value)
        return 0
    if command == "check":
        bad = stale(root)
        if bad:
            print(
                f"{', '.join(bad)}: out of date with the dependency lists in pyproject.toml "
                f"(or missing). Refresh with `{REFRESH}` and commit requirements/.",
                file=sys.stderr,
            )
            return 1
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
