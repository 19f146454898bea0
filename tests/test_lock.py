"""The lock files scripts/bootstrap installs from agree with pyproject.toml.

A dependency added to pyproject.toml without running ``scripts/lock`` would be missing from
every fresh install; these tests fail, naming the command, before that reaches anyone.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "lockfile.py"
LOCK = ROOT / "requirements" / "lock.txt"
# One locked requirement as uv writes it: name==version, its hashes, then "# via" notes.
PINNED = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*==\S+ \\\n"
                    r"(    --hash=sha256:[0-9a-f]{64} \\\n)*    --hash=sha256:[0-9a-f]{64}"
                    r"(\n    #.*)*")


def _check(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(SCRIPT), "check", str(root)],
                          capture_output=True, text=True, timeout=60, check=False)


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _copy_project(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(ROOT / "requirements", tmp_path / "requirements")
    return tmp_path / "pyproject.toml"


def test_check_lock_matches_pyproject() -> None:
    result = _check(ROOT)
    assert result.returncode == 0, result.stderr


def test_check_lock_fails_when_dependency_added(tmp_path: Path) -> None:
    pyproject = _copy_project(tmp_path)
    text = pyproject.read_text(encoding="utf-8")
    added = 'dependencies = [\n    "example-new-dependency>=1.0",'
    pyproject.write_text(text.replace("dependencies = [", added, 1), encoding="utf-8")

    result = _check(tmp_path)

    assert result.returncode == 1
    assert "requirements/lock.txt" in result.stderr
    assert "`scripts/lock`" in result.stderr


def test_check_lock_ignores_tool_settings_and_order(tmp_path: Path) -> None:
    pyproject = _copy_project(tmp_path)
    text = pyproject.read_text(encoding="utf-8").replace("line-length = 100", "line-length = 99")
    deps = tomllib.loads(text)["project"]["dependencies"]
    first, second = (f'    "{d}",' for d in deps[:2])
    text = text.replace(f"{first}\n{second}", f"{second}\n{first}", 1)
    assert "line-length = 99" in text and f"{second}\n{first}" in text
    pyproject.write_text(text, encoding="utf-8")

    assert _check(tmp_path).returncode == 0


def test_lock_pins_every_dependency_with_hashes() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = {_normalise(re.split(r"[\[<>=!~; ]", dep, maxsplit=1)[0])
              for dep in [*project["dependencies"], *project["optional-dependencies"]["dev"]]}
    blocks = re.split(r"\n(?=[A-Za-z0-9])", LOCK.read_text(encoding="utf-8").rstrip("\n"))[1:]
    pinned = {_normalise(block.split("==", 1)[0]) for block in blocks}
    unhashed = [block.split("\n", 1)[0] for block in blocks if not PINNED.fullmatch(block)]

    assert blocks
    assert not unhashed, unhashed
    assert wanted <= pinned, sorted(wanted - pinned)
