"""The ``ugen`` command line: options named after job fields, clear errors, JSON output."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ugen.cli import app
from ugen.core.config import Settings

runner = CliRunner()


def test_models_json_lists_catalog_with_capabilities() -> None:
    result = runner.invoke(app, ["models", "--json"])
    assert result.exit_code == 0
    models = {m["id"]: m for m in json.loads(result.stdout)}
    assert set(models) == {"veo3_fast", "veo3", "kling3_std", "kling3_pro", "kling3_4k"}
    assert models["veo3"]["supported_durations"] == [8]
    assert "1:1" not in models["veo3_fast"]["supported_aspect_ratios"]
    assert models["kling3_pro"]["supported_durations"] == list(range(3, 11))
    assert models["kling3_std"]["supports_sound"] is True


def test_submit_rejects_bad_option_naming_field(settings: Settings, product_image: Path) -> None:
    result = runner.invoke(app, ["submit", str(product_image), "--video-model", "veo3",
                                 "--aspect-ratio", "1:1"])
    assert result.exit_code == 2
    assert "aspect_ratio 1:1 is not offered by veo3" in result.stderr
    result = runner.invoke(app, ["submit", str(product_image), "--persona", "ghost"])
    assert result.exit_code == 2
    assert "persona_id" in result.stderr


def test_submit_rejects_non_image_file(settings: Settings, tmp_path: Path) -> None:
    bogus = tmp_path / "notes.png"
    bogus.write_text("hello")
    result = runner.invoke(app, ["submit", str(bogus)])
    assert result.exit_code == 2
    assert "invalid product_image" in result.stderr


def test_submit_show_cancel_round_trip(settings: Settings, product_image: Path,
                                      tmp_path: Path) -> None:
    script = tmp_path / "script.txt"
    script.write_text("My skin has never looked this good. Honestly, try it yourself!")
    result = runner.invoke(app, ["submit", str(product_image), "--product-name", "Glow",
                                 "--video-model", "kling3_pro", "--segment-duration", "5",
                                 "--segment-count", "2", "--script-file", str(script),
                                 "--no-music", "--stop-at-stage", "agents"])
    assert result.exit_code == 0, result.stderr
    job_id = result.stdout.strip().splitlines()[-1]
    shown = runner.invoke(app, ["show", job_id, "--json"])
    assert shown.exit_code == 0
    report = json.loads(shown.stdout)
    view = report["job"]
    assert view["status"] == "queued"
    assert view["params"]["custom_script"].startswith("My skin has never")
    assert view["params"]["segment_duration"] == 5 and view["params"]["music_enabled"] is False
    prepare = report["stages"][0]
    assert prepare["name"] == "prepare" and prepare["status"] == "completed"
    assert prepare["outputs"]["image"]["width"] > 0
    assert view["credits_reserved"] == view["estimate"]["total"] > 0
    cancelled = runner.invoke(app, ["cancel", job_id])
    assert cancelled.exit_code == 0
    again = runner.invoke(app, ["cancel", job_id])
    assert again.exit_code == 2 and "already cancelled" in again.stderr
    missing = runner.invoke(app, ["show", "no-such-job"])
    assert missing.exit_code == 1 and "no job" in missing.stderr
    credits = runner.invoke(app, ["credits"])
    assert "available_credits 1000" in credits.stdout
