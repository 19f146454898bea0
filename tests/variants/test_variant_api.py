"""``/api/v1/variant-sets``: estimate, create (idempotent), read, list, and bad input."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import headers
from ugen.core.config import Settings

BASE = {"product_name": "Glow Serum", "video_model": "kling3_std", "segment_duration": 3}
LINES = {"hooks": ["Tired of dull skin every morning?", "This serum changed my routine!"],
         "bodies": ["Three drops and my skin glows all day."],
         "ctas": ["Tap the link and grab yours.", "Order now while it lasts."]}


def test_estimate_prices_each_variant_and_the_saving(client: TestClient,
                                                     account: tuple[str, str]) -> None:
    _, key = account
    r = client.post("/api/v1/variant-sets/estimate", headers=headers(key),
                    json={**BASE, **LINES, "product_image_url": "https://example.com/p.png"})
    assert r.status_code == 200, r.text
    est = r.json()
    assert len(est["variants"]) == 4
    first, second = est["variants"][0], est["variants"][1]
    assert first["credits"] == first["independent_credits"]
    # Same hook and body, another CTA: the anchor, keyframes 1-2 and two segments are shared.
    assert second["credits"] < second["independent_credits"]
    assert est["independent_total"] == sum(v["independent_credits"] for v in est["variants"])
    assert est["saving"] == est["independent_total"] - est["total"] > 0
    assert 0 < est["saving_percent"] < 100


def test_create_read_list_and_repeat(client: TestClient, account: tuple[str, str],
                                     upload: Callable[[str], str]) -> None:
    _, key = account
    body = {**BASE, **LINES, "product_image_url": upload(key), "idempotency_key": "set-1"}
    r = client.post("/api/v1/variant-sets", headers=headers(key), json=body)
    assert r.status_code == 201, r.text
    made = r.json()
    set_id = made["variant_set_id"]
    assert [(v["hook"], v["cta"]) for v in made["variants"]] == [
        (LINES["hooks"][0], LINES["ctas"][0]), (LINES["hooks"][0], LINES["ctas"][1]),
        (LINES["hooks"][1], LINES["ctas"][0]), (LINES["hooks"][1], LINES["ctas"][1])]
    assert len({v["job_id"] for v in made["variants"]}) == 4
    assert made["estimate"]["saving"] > 0
    again = client.post("/api/v1/variant-sets", headers=headers(key), json=body)
    assert again.status_code == 200 and again.json()["variant_set_id"] == set_id
    other = client.post("/api/v1/variant-sets", headers=headers(key),
                        json={**body, "ctas": ["Order it today and save big."]})
    assert other.status_code == 409
    assert other.json()["error"]["details"]["variant_set_id"] == set_id
    got = client.get(f"/api/v1/variant-sets/{set_id}", headers=headers(key))
    assert got.status_code == 200 and got.json()["variants"] == made["variants"]
    job = client.get(f"/api/v1/jobs/{made['variants'][0]['job_id']}", headers=headers(key))
    assert job.status_code == 200
    listed = client.get("/api/v1/variant-sets", headers=headers(key)).json()
    assert listed["total"] == 1 and listed["items"][0]["variant_set_id"] == set_id
    missing = client.get("/api/v1/variant-sets/nope", headers=headers(key))
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "VARIANT_SET_NOT_FOUND"


def _post(client: TestClient, key: str, **fields: Any) -> Any:
    body = {**BASE, **LINES, "product_image_url": "https://example.com/p.png", **fields}
    return client.post("/api/v1/variant-sets/estimate", headers=headers(key), json=body)


def test_bad_input_is_refused_with_a_clear_message(client: TestClient,
                                                   account: tuple[str, str]) -> None:
    _, key = account
    for field in ("hooks", "bodies", "ctas"):
        r = _post(client, key, **{field: []})
        assert r.status_code == 422, r.text
        assert field in str(r.json()["detail"][0]["loc"])
        assert "at least 1" in r.json()["detail"][0]["msg"]
    blank = _post(client, key, hooks=["   "])
    assert blank.status_code == 422 and "blank" in blank.text
    many = _post(client, key, hooks=[f"Hook number {i} is here." for i in range(5)],
                 bodies=["Body one is right here.", "Body two is right here."],
                 ctas=[f"Buy it now {i}." for i in range(3)])
    assert many.status_code == 422
    assert "30 combinations; a variant set makes at most 24" in many.text
    too_long = _post(client, key, hooks=[f"Hook {i}." for i in range(11)])
    assert too_long.status_code == 422 and "at most 10" in too_long.text
    script = _post(client, key, custom_script="My own script here please.")
    assert script.status_code == 422 and "custom_script is not taken" in script.text
    count = _post(client, key, segment_count=2)
    assert count.status_code == 422 and "segment_count of a variant set is 3" in count.text
    aspect = _post(client, key, aspect_ratios=["1:1", "1:1"])
    assert aspect.status_code == 422 and "must not repeat" in aspect.text
    uneven = _post(client, key, bodies=[" ".join(["word"] * 40) + "."])
    assert uneven.status_code == 422 and "one scene per line" in uneven.text


def test_account_options_are_checked_before_any_job(client: TestClient,
                                                    account: tuple[str, str],
                                                    upload: Callable[[str], str]) -> None:
    """A watermark without a logo, or another account's music, refuses the whole set."""
    _, key = account
    body = {**BASE, **LINES, "product_image_url": upload(key)}
    for extra, field in (({"brand_kit_enabled": True}, "brand_kit_enabled"),
                         ({"custom_music_id": "00000000-0000-4000-8000-000000000000"},
                          "custom_music_id"),
                         ({"human_review_max_rejections": 1}, "human_review_max_rejections")):
        r = client.post("/api/v1/variant-sets", headers=headers(key), json={**body, **extra})
        assert r.status_code == 422, r.text
        assert field in r.text
    assert client.get("/api/v1/variant-sets", headers=headers(key)).json()["total"] == 0
    assert client.get("/api/v1/jobs", headers=headers(key)).json()["total"] == 0


def test_limits_count_every_job_of_the_set(settings: Settings, client: TestClient,
                                           account: tuple[str, str],
                                           upload: Callable[[str], str]) -> None:
    """A set needs room for all its jobs in the daily limit (and one free concurrent slot,
    like one job); refused, it leaves nothing behind."""
    _, key = account
    body = {**BASE, **LINES, "product_image_url": upload(key)}
    settings.max_daily_jobs = 3
    r = client.post("/api/v1/variant-sets", headers=headers(key), json=body)
    assert r.status_code == 429, r.text
    assert r.json()["error"]["details"]["limit"] == "daily_jobs"
    assert client.get("/api/v1/variant-sets", headers=headers(key)).json()["total"] == 0
    assert client.get("/api/v1/jobs", headers=headers(key)).json()["total"] == 0
    settings.max_daily_jobs = 4
    assert client.post("/api/v1/variant-sets", headers=headers(key),
                       json=body).status_code == 201
