"""The dashboard's Variants page: estimate, create, and a set's page with its jobs."""

from __future__ import annotations

from collections.abc import Callable

from tests.api.conftest import png_bytes
from tests.web.conftest import Browser, app_settings, browser, make_account

__all__ = ["app_settings", "browser", "make_account"]

FORM = {"product_name": "Glow Serum", "video_model": "kling3_std", "segment_duration": "3",
        "aspect_ratio": "1:1",
        "hooks": "Tired of dull skin every morning?\nThis serum changed my routine!",
        "bodies": "Three drops and my skin glows all day.",
        "ctas": "Tap the link and grab yours.\nOrder now while it lasts."}


def test_estimate_then_create_and_open_the_set(browser: Callable[..., Browser]) -> None:
    b = browser()
    page = b.client.get("/variants")
    assert page.status_code == 200 and 'href="/variants" aria-current="page"' in page.text
    assert "No variant sets yet." in page.text
    est = b.client.post("/variants", data={**FORM, "csrf_token": b.csrf, "action": "estimate"})
    assert est.status_code == 200, est.text
    assert 'id="variant-estimate"' in est.text and "Saving against 4 independent" in est.text
    r = b.client.post("/variants", data={**FORM, "csrf_token": b.csrf, "action": "create"},
                      files={"image": ("p.png", png_bytes(), "image/png")},
                      follow_redirects=False)
    assert r.status_code == 303, r.text
    set_page = b.client.get(r.headers["location"])
    assert set_page.status_code == 200
    assert set_page.text.count('href="/jobs/') == 4
    assert "Order now while it lasts." in set_page.text
    listed = b.client.get("/variants").text
    assert r.headers["location"] in listed
    # Another account sees no such set.
    assert browser().client.get(r.headers["location"]).status_code == 404


def test_bad_form_is_answered_with_the_field_error(browser: Callable[..., Browser]) -> None:
    b = browser()
    r = b.client.post("/variants", data={**FORM, "ctas": "  \n ", "csrf_token": b.csrf,
                                         "action": "estimate"})
    assert r.status_code == 422 and "Write at least one line." in r.text
    r = b.client.post("/variants", data={**FORM, "csrf_token": b.csrf, "action": "create"})
    assert r.status_code == 422 and "Choose a product photo." in r.text
    forged = b.client.post("/variants", data={**FORM, "csrf_token": "forged"})
    assert forged.status_code in (400, 403)
