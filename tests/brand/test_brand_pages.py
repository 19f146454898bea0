"""The dashboard's Brand kit page (logo upload, preview, settings) and the new-ad form's
watermark box."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from PIL import Image

from tests.brand.conftest import LOGO_COLOUR, picture_bytes, red_svg
from tests.web.conftest import Browser, app_settings, browser, make_account
from ugen import service
from ugen.core.config import Settings
from ugen.service import brand_kit

__all__ = ["app_settings", "browser", "make_account"]

FORM = {"product_name": "Glow Serum", "video_model": "kling3_std", "aspect_ratio": "1:1",
        "segment_count": "1", "segment_duration": "3", "language": "auto",
        "caption_style": "word_pop", "captions_enabled": "on", "qai_mode": "standard"}
JSON = {"Accept": "application/json"}


def test_brand_kit_page_upload_preview_and_settings(app_settings: Settings,
                                                    browser: Callable[..., Browser]) -> None:
    b = browser()
    page = b.client.get("/brand-kit")
    assert page.status_code == 200 and 'id="no-logo"' in page.text
    assert 'href="/brand-kit" aria-current="page"' in page.text
    assert b.client.get("/brand-kit/preview.png").status_code == 404

    r = b.client.post("/brand-kit/logo", data={"csrf_token": b.csrf},
                      files={"file": ("l.svg", red_svg(), "image/svg+xml")},
                      follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/brand-kit?saved=logo"
    page = b.client.get("/brand-kit?saved=logo")
    assert "Logo saved." in page.text and "1024×512 PNG" in page.text
    kit = brand_kit.brand_kit(app_settings, b.account.account_id)
    assert kit.logo_url is not None and kit.logo_url.split("?")[0] in page.text

    r = b.client.post("/brand-kit/settings", data={
        "csrf_token": b.csrf, "position": "top_left", "opacity": "1", "size": "0.4",
        "margin": "0", "enabled_by_default": "on"}, follow_redirects=False)
    assert r.status_code == 303
    kit = brand_kit.brand_kit(app_settings, b.account.account_id)
    assert (kit.spec.position, kit.spec.opacity, kit.spec.size, kit.spec.margin,
            kit.enabled_by_default) == ("top_left", 1.0, 0.4, 0.0, True)
    # "Use by default" ticks the new-ad form's watermark box (another account's stays clear).
    ticked = 'name="brand_kit_enabled" checked'
    assert ticked in b.client.get("/new").text
    assert ticked not in browser().client.get("/new").text
    shown = b.client.get("/brand-kit/preview.png")
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/png"
    preview = Image.open(io.BytesIO(shown.content)).convert("RGB")
    assert preview.size == (270, 480)
    assert preview.getpixel((20, 10)) == LOGO_COLOUR  # top left, no margin, opaque
    assert preview.getpixel((250, 470)) != LOGO_COLOUR

    bad = b.client.post("/brand-kit/settings", data={
        "csrf_token": b.csrf, "position": "middle", "opacity": "2", "size": "0.2",
        "margin": "0.1"})
    assert bad.status_code == 422
    assert 'id="err-opacity"' in bad.text and 'aria-invalid="true"' in bad.text
    assert brand_kit.brand_kit(app_settings, b.account.account_id).spec.opacity == 1.0

    unsafe = b.client.post("/brand-kit/logo", data={"csrf_token": b.csrf}, files={
        "file": ("x.svg", red_svg("<script>alert(1)</script>"), "image/svg+xml")})
    assert unsafe.status_code == 422 and "must not contain &lt;script&gt;" in unsafe.text
    wrong = b.client.post("/brand-kit/logo", data={"csrf_token": b.csrf},
                          files={"file": ("x.jpg", picture_bytes("JPEG"), "image/jpeg")})
    assert wrong.status_code == 415
    big = b.client.post("/brand-kit/logo", data={"csrf_token": b.csrf}, files={
        "file": ("b.png", picture_bytes("PNG") + b"\0" * (2 * 1024 * 1024), "image/png")})
    assert big.status_code == 413
    forged = b.client.post("/brand-kit/logo", data={"csrf_token": "nope"},
                           files={"file": ("l.png", picture_bytes("PNG"), "image/png")})
    assert forged.status_code == 403


def test_new_ad_watermark_box(app_settings: Settings, browser: Callable[..., Browser],
                              product_image: Path) -> None:
    b = browser()
    assert 'name="brand_kit_enabled"' in b.client.get("/new").text
    upload = b.client.post("/new/upload", content=product_image.read_bytes(),
                           headers={"Content-Type": "image/png", "X-CSRF-Token": b.csrf}).json()
    form = {**FORM, "upload_id": upload["upload_id"], "csrf_token": b.csrf,
            "brand_kit_enabled": "on"}
    r = b.client.post("/new", data=form, headers=JSON)
    assert r.status_code == 422 and "no brand-kit logo" in r.json()["errors"][
        "brand_kit_enabled"]
    brand_kit.save_logo(app_settings, b.account.account_id, picture_bytes("PNG"))
    r = b.client.post("/new", data=form, follow_redirects=False)
    assert r.status_code == 303
    job_id = r.headers["location"].removeprefix("/jobs/")
    assert service.job_view(app_settings, job_id).options.brand_kit_enabled
