"""Bad input: a clear error naming the field, no job, no credits moved."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pydantic import ValidationError
from sqlalchemy import func, select

from tests.utils.images import product_png
from ugen.core.config import Settings
from ugen.core.schemas import JobOptions
from ugen.pipeline.prepare import JobValidationError, prepare_job
from ugen.service import ensure_default_account
from ugen.store.db import session_scope
from ugen.store.models import CreditTransaction, Job


def _counts(settings: Settings) -> tuple[int, int]:
    with session_scope(settings) as s:
        jobs = s.scalar(select(func.count()).select_from(Job)) or 0
        txs = s.scalar(select(func.count()).select_from(CreditTransaction)) or 0
    return jobs, txs


@pytest.mark.parametrize(
    ("fields", "field", "needle"),
    [
        ({"aspect_ratio": "1:1", "video_model": "veo3"}, "aspect_ratio", "not offered by veo3"),
        ({"persona_id": "nobody"}, "persona_id", "unknown persona_id"),
        ({"voice_settings": {"voice_id": "robot"}}, "voice_id", "unknown voice_id"),
        ({"video_model": "sora2"}, "video_model", "unknown video_model"),
        ({"language": "xx"}, "language", "unknown language"),
        ({"segment_duration": 5}, "segment_duration", "not allowed for veo3_fast"),
        ({"video_model": "kling3_pro", "segment_duration": 11}, "segment_duration", "3-10"),
        ({"segment_count": 0}, "segment_count", "greater than or equal to 1"),
        ({"segment_count": 11}, "segment_count", "less than or equal to 10"),
        ({"custom_script": "   \n "}, "custom_script", "empty"),
        ({"custom_script": "word " * 1000}, "custom_script", "the limit is"),
        ({"caption_style": "comic_sans"}, "caption_style", "unknown caption_style"),
        ({"stop_at_stage": "render"}, "stop_at_stage", "prepare"),
        ({"max_retries_keyframe": 6}, "max_retries_keyframe", "less than or equal to 5"),
        ({"product_name": "   "}, "product_name", "must not be blank"),
        ({"product_name": "\u200b\u2060 "}, "product_name", "must not be blank"),
        ({"product_name": "Glow\x00Serum"}, "product_name", "control character (U+0000)"),
        ({"product_name": "Glow\nSerum"}, "product_name", "no tabs or line breaks"),
        ({"product_name": "Glow \udcff"}, "product_name", "valid string"),
        ({"cta_text": "\t"}, "cta_text", "no tabs or line breaks"),
        ({"cta_text": " \u3000 "}, "cta_text", "must not be blank"),
        ({"key_selling_points": ["fine", " "]}, "key_selling_points.1", "must not be blank"),
        ({"key_selling_points": ["p"] * 11}, "key_selling_points", "at most 10 items"),
        ({"environment_description": "\n\n"}, "environment_description", "blank"),
        ({"environment_description": "a\x7fb"}, "environment_description", "U+007F"),
        ({"idempotency_key": "  "}, "idempotency_key", "must not be blank"),
        ({"webhook_url": " "}, "webhook_url", "must not be blank"),
        ({"persona_id": "x" * 101}, "persona_id", "at most 100 characters"),
        ({"product_name": "\x00" * 201}, "product_name", "at most 200 characters"),
        ({"music_volume": float("nan")}, "music_volume", "finite number"),
        ({"music_volume": float("inf")}, "music_volume", "finite number"),
        ({"segment_count": float("-inf")}, "segment_count", "finite number"),
        ({"custom_caption_options": {"font_size": float("nan")}}, "font_size", "finite"),
        ({"custom_script": "One two three. " + " " * 3000}, "custom_script",
         "3015 characters (whitespace included); the limit is 3000"),
        ({"custom_script": "One" + "\n" * 3000 + "two three."}, "custom_script",
         "the limit is 3000"),
        ({"custom_script": "One two\x00 three."}, "custom_script", "U+0000"),
    ],
)
def test_validate_options_rejects_bad_field(fields: dict[str, Any], field: str,
                                            needle: str) -> None:
    with pytest.raises(ValidationError) as info:
        JobOptions.model_validate({"product_name": "Serum", **fields})
    text = str(info.value)
    assert field in text
    assert needle in text


def test_custom_script_kept_exactly_as_checked() -> None:
    script = "  Glow serum brightens skin.\n\n\tTap the link below!  \n"
    opts = JobOptions.model_validate({"product_name": "Serum", "custom_script": script,
                                      "segment_count": 2})
    assert opts.custom_script == script
    at_limit = "word " * 599 + "last."
    assert len(at_limit) == 3000
    assert JobOptions(product_name="Serum", custom_script=at_limit).custom_script == at_limit


def test_text_fields_kept_as_given() -> None:
    opts = JobOptions.model_validate({
        "product_name": " Glow Serum ", "cta_text": "Tap  now", "key_selling_points": ["a"] * 10,
        "environment_description": "A sunny kitchen,\n\tmorning light"})
    assert opts.product_name == " Glow Serum " and opts.cta_text == "Tap  now"
    assert len(opts.key_selling_points) == 10
    assert opts.environment_description == "A sunny kitchen,\n\tmorning light"


def test_validate_options_accepts_documented_aliases() -> None:
    opts = JobOptions.model_validate(
        {"product_name": "Serum", "output_aspect_ratio": "1:1", "video_model": "kling3_std",
         "segment_duration": 5}
    )
    assert opts.aspect_ratio == "1:1"
    assert opts.output_size == (1080, 1080)
    assert opts.effective_segment_duration == 5


def _corrupt(path: Path) -> Path:
    product_png(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    return path


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda p: (p.write_text("this is not an image"), p)[1], "not a readable image"),
        (_corrupt, "corrupt"),
        (lambda p: product_png(p, size=(200, 600)), "too small"),
        (lambda p: (p.write_bytes(b""), p)[1], "empty"),
        (lambda p: (Image.new("RGB", (300, 300)).save(p, format="BMP"), p)[1], "not accepted"),
        (lambda p: (Image.new("L", (8000, 7000)).save(p, format="PNG"), p)[1], "megapixels"),
    ],
    ids=["text", "truncated", "small", "empty", "bmp", "huge"],
)
def test_prepare_rejects_bad_image_without_moving_credits(
    settings: Settings, tmp_path: Path, make: Any, needle: str
) -> None:
    account = ensure_default_account(settings)
    before = _counts(settings)
    image = make(tmp_path / "bad.png")
    with pytest.raises(JobValidationError) as info:
        prepare_job(settings, account_id=account, options=JobOptions(product_name="x"),
                    image=image)
    assert info.value.field == "product_image"
    assert needle in info.value.message
    assert _counts(settings) == before
