"""The templates page: save the new-ad form as a template, start a form from one (or from
the default), make one the default, delete; other accounts' templates stay out of reach."""

from __future__ import annotations

import re
from collections.abc import Callable

from tests.web.conftest import Browser
from ugen.core.config import Settings
from ugen.service import templates
from ugen.web.routes.new import DEFAULTS

FORM = {**DEFAULTS, "video_model": "kling3_std", "aspect_ratio": "1:1", "segment_count": "2",
        "segment_duration": "4", "caption_style": "word_pop", "music_mood": "chill",
        "key_selling_points": "Vegan\r\nFragrance-free", "cta_text": "Shop the serum",
        "voice_id": "", "product_name": "Glow Serum"}


def _save(b: Browser, **extra: str) -> object:
    return b.client.post("/templates/save", data={**FORM, "csrf_token": b.csrf, **extra},
                         follow_redirects=False)


def _value(html: str, name: str) -> str | None:
    found = re.search(rf'<select id="{name}" name="{name}"[^>]*>(.*?)</select>', html, re.S)
    if found is not None:
        chosen = re.search(r'<option value="([^"]*)" selected', found.group(1))
        return None if chosen is None else chosen.group(1)
    radio = re.search(rf'type="radio" name="{name}" value="([^"]*)" checked', html)
    if radio is not None:
        return radio.group(1)
    found = re.search(rf'name="{name}"[^>]*value="([^"]*)"', html)
    return None if found is None else found.group(1)


def test_save_use_default_and_delete(app_settings: Settings,
                                     browser: Callable[..., Browser]) -> None:
    b = browser()
    assert 'id="no-templates"' in b.client.get("/templates").text
    r = _save(b, template_name="  Square   launch ", template_description="1:1 for feeds")
    assert r.status_code == 303  # type: ignore[attr-defined]
    [saved] = templates.list_templates(app_settings, b.account.account_id)
    assert saved.name == "Square launch" and saved.description == "1:1 for feeds"
    assert saved.config["video_model"] == "kling3_std" and saved.config["aspect_ratio"] == "1:1"
    assert saved.config["segment_count"] == 2 and saved.config["segment_duration"] == 4
    assert saved.config["key_selling_points"] == ["Vegan", "Fragrance-free"]
    assert "product_name" not in saved.config and not saved.is_default

    page = b.client.get(f"/new?template={saved.id}").text
    assert _value(page, "video_model") == "kling3_std"
    assert _value(page, "aspect_ratio") == "1:1"
    assert _value(page, "caption_style") == "word_pop"
    assert _value(page, "segment_duration") == "4"
    assert "Vegan\nFragrance-free" in page and "Started from “Square launch”" in page
    # Without a default template the plain form comes back; with one, it starts from it.
    assert _value(b.client.get("/new").text, "video_model") == "veo3_fast"
    r = b.client.post(f"/templates/{saved.id}/default", data={"csrf_token": b.csrf},
                      follow_redirects=False)
    assert r.status_code == 303
    assert templates.template(app_settings, b.account.account_id, saved.id).is_default
    assert _value(b.client.get("/new").text, "video_model") == "kling3_std"
    listing = b.client.get("/templates").text
    assert "Default" in listing and f'href="/new?template={saved.id}"' in listing

    stranger = browser()
    assert stranger.client.get(f"/new?template={saved.id}").status_code == 404
    assert stranger.client.post(f"/templates/{saved.id}/delete",
                                data={"csrf_token": stranger.csrf}).status_code == 404
    assert b.client.post(f"/templates/{saved.id}/delete", data={"csrf_token": "forged"},
                         follow_redirects=False).status_code == 403
    r = b.client.post(f"/templates/{saved.id}/delete", data={"csrf_token": b.csrf},
                      follow_redirects=False)
    assert r.status_code == 303
    assert templates.list_templates(app_settings, b.account.account_id) == []


def test_refused_saves_say_why(app_settings: Settings,
                               browser: Callable[..., Browser]) -> None:
    b = browser()
    r = _save(b, template_name="  ")
    assert r.status_code == 422 and "give it a name" in r.text  # type: ignore[attr-defined]
    r = _save(b, template_name="Bad", segment_count="99")
    assert r.status_code == 422 and "segment count" in r.text  # type: ignore[attr-defined]
    r = _save(b, template_name="x" * 101)
    assert r.status_code == 422  # type: ignore[attr-defined]
    assert templates.list_templates(app_settings, b.account.account_id) == []
    for i in range(templates.MAX_TEMPLATES):
        assert _save(b, template_name=f"t{i}").status_code == 303  # type: ignore[attr-defined]
    r = _save(b, template_name="one too many")
    assert r.status_code == 409 and "20" in r.text  # type: ignore[attr-defined]
