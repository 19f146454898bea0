"""``ugen templates`` and ``ugen submit --template-id``."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ugen import service
from ugen.cli import app
from ugen.core.config import Settings

runner = CliRunner()
KLING_SQUARE = '{"video_model": "kling3_std", "output_aspect_ratio": "1:1", "segment_count": 2}'


def _create(*args: str) -> str:
    result = runner.invoke(app, ["templates", "create", *args])
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def test_templates_create_list_delete(settings: Settings) -> None:
    first = _create("Square", "--config", KLING_SQUARE)
    second = _create("Default", "--default")
    listed = runner.invoke(app, ["templates", "--json"])
    assert listed.exit_code == 0, listed.output
    items = json.loads(listed.stdout)
    assert [t["id"] for t in items] == [second, first]
    assert items[1]["config"] == {"video_model": "kling3_std", "aspect_ratio": "1:1",
                                  "segment_count": 2}
    assert runner.invoke(app, ["templates", "delete", first]).exit_code == 0
    again = runner.invoke(app, ["templates", "delete", first])
    assert again.exit_code == 1 and f"no template {first}" in again.stderr


def test_templates_create_refuses_bad_config_and_blank_name(settings: Settings) -> None:
    bad = runner.invoke(app, ["templates", "create", "x", "--config", '{"bogus": 1}'])
    assert bad.exit_code == 2 and "bogus" in bad.stderr
    blank = runner.invoke(app, ["templates", "create", "   "])
    assert blank.exit_code == 2 and "blank" in blank.stderr
    assert service.list_templates(settings, settings.default_account) == []


def test_submit_with_template_takes_config_under_given_options(settings: Settings,
                                                               product_image: Path) -> None:
    template_id = _create("Square", "--config", KLING_SQUARE)
    result = runner.invoke(app, ["submit", str(product_image), "--template-id", template_id,
                                 "--segment-count", "1", "--segment-duration", "4"])
    assert result.exit_code == 0, result.output
    job = service.job_view(settings, result.stdout.strip().splitlines()[-1])
    assert job.params["video_model"] == "kling3_std" and job.params["aspect_ratio"] == "1:1"
    assert job.params["segment_count"] == 1 and job.params["segment_duration"] == 4
    used = service.template(settings, settings.default_account, template_id)
    assert used.use_count == 1


def test_submit_with_unknown_template_fails(settings: Settings, product_image: Path) -> None:
    result = runner.invoke(app, ["submit", str(product_image), "--template-id", "nope"])
    assert result.exit_code == 2 and "no template nope" in result.stderr
