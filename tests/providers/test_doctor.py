"""``ugen doctor`` against the fake vendors: keys reported, never shown; keys checked."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from tests.providers.kling_kit import ACCESS_KEY, SECRET_KEY, KlingRig
from tests.providers.veo_kit import API_KEY, VeoRig
from ugen.cli import app
from ugen.core.config import Settings

runner = CliRunner()


def doctor(*args: str) -> tuple[int, dict[str, dict[str, str]], str]:
    result = runner.invoke(app, ["doctor", "--json", *args])
    rows = json.loads(result.stdout)
    return result.exit_code, {r["capability"]: r for r in rows}, result.stdout


def test_doctor_without_keys_reports_offline_providers(settings: Settings,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("UGEN_KLING_ACCESS_KEY", "UGEN_KLING_SECRET_KEY", "UGEN_VEO_API_KEY",
                 "UGEN_VEO_PROJECT"):
        monkeypatch.delenv(name, raising=False)
    code, rows, _ = doctor("--check-network")
    assert code == 0
    assert rows["video (offline)"]["provider"] == "LocalVideoProvider"
    assert rows["video (kling)"]["keys"] == "missing"
    assert rows["video (veo)"]["network"] == "skipped"
    assert {"script_agent", "keyframes", "voice", "music"} <= rows.keys()


def test_doctor_check_network_accepts_good_keys(settings: Settings, kling: KlingRig,
                                                veo: VeoRig,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UGEN_KLING_ACCESS_KEY", ACCESS_KEY)
    monkeypatch.setenv("UGEN_KLING_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("UGEN_KLING_BASE_URL", kling.url)
    monkeypatch.setenv("UGEN_VEO_API_KEY", API_KEY)
    monkeypatch.setenv("UGEN_VEO_BASE_URL", veo.url)
    code, rows, out = doctor("--check-network")
    assert code == 0, out
    for vendor in ("kling", "veo"):
        row = rows[f"video ({vendor})"]
        assert (row["keys"], row["network"]) == ("present", "ok"), row
        assert row["detail"].startswith("selected")
    assert kling.fake.submissions == 0 and veo.fake.submissions == 0
    for secret in (ACCESS_KEY, SECRET_KEY, API_KEY):
        assert secret not in out


def test_doctor_check_network_reports_refused_key(settings: Settings, kling: KlingRig,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UGEN_KLING_ACCESS_KEY", ACCESS_KEY)
    monkeypatch.setenv("UGEN_KLING_SECRET_KEY", "sk-wrong-but-long-enough-for-hs256-0000")
    monkeypatch.setenv("UGEN_KLING_BASE_URL", kling.url)
    monkeypatch.delenv("UGEN_VEO_API_KEY", raising=False)
    monkeypatch.delenv("UGEN_VEO_PROJECT", raising=False)
    code, rows, out = doctor("--check-network", "--timeout", "2")
    assert code == 1
    assert rows["video (kling)"]["network"] == "refused"
    assert "sk-wrong" not in out
