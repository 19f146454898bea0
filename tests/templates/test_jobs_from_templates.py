"""Jobs made from a template: its config under the job's own fields, the use counted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import SMALL_JOB, headers
from ugen.core.config import Settings
from ugen.store.db import session_scope
from ugen.store.models import Job, Template

TEMPLATES = "/api/v1/templates"
JOBS = "/api/v1/jobs"
Account = tuple[str, str]
KLING_SQUARE = {"video_model": "kling3_pro", "output_aspect_ratio": "1:1", "segment_count": 3,
                "segment_duration": 5, "interaction_mode": "display_static",
                "music_enabled": False, "qai_enabled": True, "caption_style": "tiktok_karaoke"}


def _template(client: TestClient, key: str, config: dict[str, Any]) -> str:
    r = client.post(TEMPLATES, headers=headers(key), json={"name": "t", "config": config})
    assert r.status_code == 201, r.text
    template_id: str = r.json()["id"]
    return template_id


def _job(client: TestClient, key: str, upload: Callable[[str], str], **fields: Any) -> Any:
    body = {"product_name": "Glow Serum", "product_image_url": upload(key), **fields}
    return client.post(JOBS, headers=headers(key), json=body)


def _uses(settings: Settings, template_id: str) -> tuple[int, bool]:
    with session_scope(settings) as s:
        row = s.get(Template, template_id)
        assert row is not None
        return row.use_count, row.last_used_at is not None


def _estimate(client: TestClient, key: str, body: dict[str, Any]) -> int:
    r = client.post("/api/v1/credits/estimate", headers=headers(key), json=body)
    assert r.status_code == 200, r.text
    total: int = r.json()["total"]
    return total


def test_create_job_with_template_takes_its_config_and_counts_a_use(
        client: TestClient, settings: Settings, account: Account,
        upload: Callable[[str], str]) -> None:
    _, key = account
    template_id = _template(client, key, KLING_SQUARE)
    r = _job(client, key, upload, template_id=template_id)
    assert r.status_code == 201, r.text
    params = r.json()["params"]
    assert params["video_model"] == "kling3_pro" and params["aspect_ratio"] == "1:1"
    assert params["segment_count"] == 3 and params["segment_duration"] == 5
    assert params["interaction_mode"] == "display_static"
    assert params["music_enabled"] is False and params["qai_mode"] == "standard"
    assert params["product_name"] == "Glow Serum"
    assert _uses(settings, template_id) == (1, True)
    listed = client.get(TEMPLATES, headers=headers(key)).json()[0]
    assert listed["use_count"] == 1 and listed["last_used_at"] is not None
    same = {k: v for k, v in KLING_SQUARE.items() if k != "qai_enabled"}
    assert r.json()["estimate"]["total"] == _estimate(client, key, same)


def test_create_job_with_template_own_fields_win(client: TestClient, account: Account,
                                                 upload: Callable[[str], str]) -> None:
    _, key = account
    template_id = _template(client, key, KLING_SQUARE)
    r = _job(client, key, upload, template_id=template_id, segment_count=1,
             aspect_ratio="16:9", music_enabled=True, qai_mode="strict")
    assert r.status_code == 201, r.text
    job = r.json()
    params = job["params"]
    assert params["segment_count"] == 1 and params["aspect_ratio"] == "16:9"
    assert params["music_enabled"] is True and params["qai_mode"] == "strict"
    assert params["video_model"] == "kling3_pro" and params["segment_duration"] == 5
    merged = {**KLING_SQUARE, "segment_count": 1, "output_aspect_ratio": "16:9",
              "music_enabled": True}
    merged.pop("qai_enabled")
    assert job["estimate"]["total"] == _estimate(client, key, merged)
    # A default the job leaves alone is not "set": the template's value stays.
    assert job["estimate"]["total"] != _estimate(client, key, {**merged, "segment_count": 3})


def test_create_job_with_template_own_value_equal_to_default_still_wins(
        client: TestClient, account: Account, upload: Callable[[str], str]) -> None:
    _, key = account
    template_id = _template(client, key, {"segment_count": 5, "music_enabled": False})
    r = _job(client, key, upload, template_id=template_id, segment_count=3, music_enabled=True)
    assert r.status_code == 201, r.text
    assert r.json()["params"]["segment_count"] == 3
    assert r.json()["params"]["music_enabled"] is True


def test_create_job_with_template_checks_merged_options(
        client: TestClient, settings: Settings, account: Account,
        upload: Callable[[str], str]) -> None:
    account_id, key = account
    template_id = _template(client, key, KLING_SQUARE)
    # 1:1 alone is not offered by the default Veo model; with the template's Kling it is.
    ok = _job(client, key, upload, template_id=template_id, aspect_ratio="1:1")
    assert ok.status_code == 201, ok.text
    bad = _job(client, key, upload, template_id=template_id, video_model="veo3_fast")
    assert bad.status_code == 422, bad.text
    assert "aspect_ratio 1:1 is not offered by veo3_fast" in bad.text
    assert _uses(settings, template_id)[0] == 1
    with session_scope(settings) as s:
        assert s.query(Job).filter(Job.account_id == account_id).count() == 1


def test_create_job_with_unknown_or_other_accounts_template_is_422(
        client: TestClient, settings: Settings, make_account: Callable[..., Account],
        upload: Callable[[str], str]) -> None:
    owner_id, owner = make_account()
    other_id, other = make_account()
    template_id = _template(client, owner, KLING_SQUARE)
    for key, tid in ((other, template_id), (owner, "00000000-0000-0000-0000-000000000000")):
        r = _job(client, key, upload, template_id=tid)
        assert r.status_code == 422, r.text
        [entry] = r.json()["detail"]
        assert entry["loc"] == ["body", "template_id"]
        assert entry["ctx"] == {"reason": "template_not_found"}
    assert _uses(settings, template_id) == (0, False)
    with session_scope(settings) as s:
        assert s.query(Job).filter(Job.account_id.in_([owner_id, other_id])).count() == 0


def test_create_job_with_template_refused_for_credits_counts_no_use(
        client: TestClient, settings: Settings, make_account: Callable[..., Account],
        upload: Callable[[str], str]) -> None:
    _, key = make_account(credits=1)
    template_id = _template(client, key, KLING_SQUARE)
    r = _job(client, key, upload, template_id=template_id)
    assert r.status_code == 402, r.text
    assert _uses(settings, template_id) == (0, False)


def test_create_job_with_template_and_idempotency_key_counts_one_use(
        client: TestClient, settings: Settings, account: Account,
        upload: Callable[[str], str]) -> None:
    _, key = account
    template_id = _template(client, key, KLING_SQUARE)
    url = upload(key)
    body = {"product_name": "Glow Serum", "product_image_url": url,
            "template_id": template_id, "idempotency_key": "k-1"}
    first = client.post(JOBS, headers=headers(key), json=body)
    again = client.post(JOBS, headers=headers(key), json=body)
    assert (first.status_code, again.status_code) == (201, 200), again.text
    assert first.json()["job_id"] == again.json()["job_id"]
    assert _uses(settings, template_id)[0] == 1


def test_create_job_without_template_accepts_qai_enabled(
        client: TestClient, account: Account, upload: Callable[[str], str]) -> None:
    _, key = account
    r = _job(client, key, upload, **{**SMALL_JOB, "qai_enabled": True})
    assert r.status_code == 201, r.text
    assert r.json()["params"]["qai_mode"] == "standard"
    assert "qai_enabled" not in r.json()["params"]


def test_deleted_template_leaves_its_jobs_options(
        client: TestClient, account: Account, upload: Callable[[str], str]) -> None:
    _, key = account
    template_id = _template(client, key, KLING_SQUARE)
    job = _job(client, key, upload, template_id=template_id).json()
    assert client.delete(f"{TEMPLATES}/{template_id}", headers=headers(key)).status_code == 204
    got = client.get(f"{JOBS}/{job['job_id']}", headers=headers(key)).json()
    assert got["params"]["video_model"] == "kling3_pro"
    r = _job(client, key, upload, template_id=template_id)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "template_id"]


def test_estimate_with_template_prices_the_merged_options(client: TestClient,
                                                          account: Account) -> None:
    _, key = account
    template_id = _template(client, key, KLING_SQUARE)
    merged = {k: v for k, v in KLING_SQUARE.items() if k != "output_aspect_ratio"}
    plain = _estimate(client, key, {**merged, "aspect_ratio": "1:1"})
    assert _estimate(client, key, {"template_id": template_id}) == plain
    # The body's own fields win, as when creating the job.
    assert _estimate(client, key, {"template_id": template_id, "segment_count": 2}) < plain
    r = client.post("/api/v1/credits/estimate", headers=headers(key),
                    json={"template_id": "no-such-template"})
    assert r.status_code == 422 and "template_id" in r.text
    other = client.post("/api/v1/credits/estimate", headers=headers(key),
                        json={"template_id": template_id, "segment_duration": 2})
    assert other.status_code == 422 and "segment_duration" in other.text  # kling: 3-10 s
