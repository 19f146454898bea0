"""The new-ad form: uploads refused by type, size and content; errors beside their fields;
the estimate before anything is spent; submitting creates the job."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.web.conftest import Browser
from ugen import service
from ugen.core.config import Settings
from ugen.core.estimate import estimate
from ugen.core.schemas import JobOptions
from ugen.web.forms import read_job_form

FORM = {"product_name": "Glow Serum", "video_model": "kling3_std", "aspect_ratio": "1:1",
        "segment_count": "1", "segment_duration": "3", "language": "auto",
        "caption_style": "word_pop", "music_enabled": "on", "captions_enabled": "on",
        "music_mood": "chill", "music_volume": "0.2", "qai_mode": "standard",
        "key_selling_points": "Brightens in two weeks\r\n\r\nVegan", "cta_text": "Tap the link"}
JSON = {"Accept": "application/json"}


def _upload(b: Browser, data: bytes, content_type: str = "image/png") -> tuple[int, dict]:
    r = b.client.post("/new/upload", content=data,
                      headers={"Content-Type": content_type, "X-CSRF-Token": b.csrf})
    return r.status_code, r.json()


def test_form_offers_every_choice(browser: Callable[..., Browser]) -> None:
    page = browser().client.get("/new").text
    for name in ("product_name", "key_selling_points", "cta_text", "persona_id", "voice_id",
                 "video_model", "aspect_ratio", "segment_count", "segment_duration",
                 "language", "caption_style", "music_enabled", "music_mood", "music_volume",
                 "qai_mode", "custom_script", "interaction_mode", "environment_description"):
        assert f'name="{name}"' in page, name
    assert '<option value="auto" selected>Detect automatically</option>' in page
    assert page.count('src="/personas/') == 4 and page.count('data-src="/voices/') == 4
    assert 'id="model-capabilities"' in page and "Available:" in page


def test_form_reads_into_job_options() -> None:
    form = read_job_form(FORM)
    assert form.errors == {}
    assert form.options == JobOptions.model_validate({
        "product_name": "Glow Serum", "video_model": "kling3_std", "aspect_ratio": "1:1",
        "segment_count": 1, "segment_duration": 3, "caption_style": "word_pop",
        "music_mood": "chill", "music_volume": 0.2, "qai_mode": "standard",
        "key_selling_points": ["Brightens in two weeks", "Vegan"], "cta_text": "Tap the link",
        "music_enabled": True, "captions_enabled": True})


@pytest.mark.parametrize(("change", "field"), [
    ({"product_name": ""}, "product_name"),
    ({"video_model": "veo3_fast", "segment_duration": "8"}, "aspect_ratio"),  # 1:1 is Kling's
    ({"segment_duration": "11"}, "segment_duration"),
    ({"segment_count": "twelve"}, "segment_count"),
    ({"music_volume": "2"}, "music_volume"),
    ({"voice_id": "nobody"}, "voice_id"),
    ({"language": "xx"}, "language"),
    ({"custom_script": "Hi", "segment_count": "3"}, "custom_script"),
    ({"custom_captions": "on", "caption_font_size": "3"}, "caption_font_size"),
])
def test_form_errors_name_their_field(change: dict[str, str], field: str) -> None:
    form = read_job_form({**FORM, **change})
    assert form.options is None and field in form.errors, form.errors


def test_estimate_before_anything_is_spent(app_settings: Settings,
                                           browser: Callable[..., Browser]) -> None:
    b = browser(credits=300)
    r = b.client.post("/new/estimate", data=FORM, headers={"X-CSRF-Token": b.csrf, **JSON})
    assert r.status_code == 200
    body = r.json()
    expected = estimate(read_job_form(FORM).options)  # type: ignore[arg-type]
    assert body["total"] == expected.total
    assert [c["component"] for c in body["components"]] == [
        line.component for line in expected.lines]
    assert body["available"] == 300 and body["fits"] is (expected.total <= 300)
    assert f">{expected.total}<" in body["html"]
    bal = service.account_balance(app_settings, b.account.account_id)
    assert (bal.credit_balance, bal.credit_reserved) == (300, 0)
    bad = b.client.post("/new/estimate", data={**FORM, "segment_duration": "99"},
                        headers={"X-CSRF-Token": b.csrf})
    assert bad.json()["total"] is None and "segment_duration" in bad.json()["errors"]
    assert b.client.post("/new/estimate", data=FORM).status_code == 403


def test_upload_refuses_wrong_type_size_and_content(app_settings: Settings,
                                                    browser: Callable[..., Browser],
                                                    product_image: Path) -> None:
    b = browser()
    assert _upload(b, b"GIF89a", "image/svg+xml")[0] == 415
    assert _upload(b, b"")[0] == 400
    status, body = _upload(b, b"not really a png")
    assert status == 400 and body["error"]["code"] == "UNSUPPORTED_IMAGE"
    status, body = _upload(b, b"\x89PNG" + b"\0" * (10 * 1024 * 1024 + 1))
    assert status == 413 and body["error"]["code"] == "FILE_TOO_LARGE"
    r = b.client.post("/new/upload", content=product_image.read_bytes(),
                      headers={"Content-Type": "image/png"})
    assert r.status_code == 403  # no CSRF token
    status, body = _upload(b, product_image.read_bytes())
    assert status == 201 and (body["width"], body["height"]) == (512, 512)
    assert service.uploaded_image(app_settings, b.account.account_id,
                                  body["upload_id"]).read_bytes() == product_image.read_bytes()


def test_submit_shows_errors_beside_fields(browser: Callable[..., Browser]) -> None:
    b = browser()
    r = b.client.post("/new", data={**FORM, "product_name": "", "csrf_token": b.csrf},
                      headers=JSON)
    assert r.status_code == 422
    assert set(r.json()["errors"]) == {"product_name", "product_image"}
    page = b.client.post("/new", data={**FORM, "product_name": "", "csrf_token": b.csrf})
    assert page.status_code == 422
    assert 'id="err-product_name"' in page.text and "Add a product image." in page.text
    assert 'aria-invalid="true"' in page.text and "Tap the link" in page.text
    r = b.client.post("/new", data={**FORM, "upload_id": "not-an-id", "csrf_token": b.csrf},
                      headers=JSON)
    assert r.status_code == 422 and "product_image" in r.json()["errors"]


def test_submit_creates_the_job_and_opens_its_page(app_settings: Settings,
                                                   browser: Callable[..., Browser],
                                                   product_image: Path) -> None:
    b = browser()
    _, upload = _upload(b, product_image.read_bytes())
    stranger = browser()
    r = stranger.client.post("/new", data={**FORM, "upload_id": upload["upload_id"],
                                           "csrf_token": stranger.csrf}, headers=JSON)
    assert r.status_code == 422 and "product_image" in r.json()["errors"]  # not their upload
    r = b.client.post("/new", data={**FORM, "upload_id": upload["upload_id"],
                                    "csrf_token": b.csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/jobs/")
    job_id = r.headers["location"].removeprefix("/jobs/")
    job = service.job_view(app_settings, job_id, account_id=b.account.account_id)
    assert job.options.key_selling_points == ("Brightens in two weeks", "Vegan")
    assert job.credits_reserved == job.estimate.total > 0


def test_submit_without_credits_says_so(browser: Callable[..., Browser],
                                        product_image: Path) -> None:
    b = browser(credits=5)
    _, upload = _upload(b, product_image.read_bytes())
    r = b.client.post("/new", data={**FORM, "upload_id": upload["upload_id"],
                                    "csrf_token": b.csrf}, headers=JSON)
    assert r.status_code == 402 and "Not enough credits" in r.json()["form_error"]
