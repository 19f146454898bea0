"""The job page's review panel: pending keyframes with Approve / Reject (+ reason) forms,
posted with the dashboard's CSRF token."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.review.helpers import wait_pending, worker
from tests.web.conftest import Browser, app_settings, browser, make_account  # noqa: F401
from ugen import service
from ugen.core.config import Settings
from ugen.core.schemas import JobOptions


def test_the_job_page_reviews_keyframes(
    app_settings: Settings, browser: Callable[..., Browser],  # noqa: F811
    product_image: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = worker(monkeypatch)
    b = browser()
    options = JobOptions.model_validate({
        "product_name": "Glow Serum", "video_model": "kling3_std", "segment_duration": 3,
        "segment_count": 1, "human_review_max_rejections": 1, "stop_at_stage": "init"})
    job_id = service.submit_job(settings, account_id=b.account.account_id, options=options,
                                image=product_image).id
    wait_pending(settings, job_id, {0})
    page = b.client.get(f"/jobs/{job_id}").text
    assert "Awaiting your review" in page and 'data-job-status="awaiting_review"' in page
    assert f'action="/jobs/{job_id}/review"' in page
    assert 'id="approve-0"' in page and 'id="reject-0"' in page
    assert 'src="/api/v1/files/' in page

    url = f"/jobs/{job_id}/review"
    r = b.client.post(url, data={"keyframe": "0", "decision": "approve"})
    assert r.status_code == 403  # no CSRF token
    r = b.client.post(url, data={"csrf_token": b.csrf, "keyframe": "0", "decision": "reject",
                                 "reason": "  "})
    assert r.status_code == 400 and "Say why the keyframe is rejected" in r.text
    r = b.client.post(url, data={"csrf_token": b.csrf, "keyframe": "0", "decision": "maybe"})
    assert r.status_code == 400  # the dashboard answers a malformed form with 400
    r = b.client.post(url, data={"csrf_token": b.csrf, "keyframe": "0", "decision": "approve"},
                      follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/jobs/{job_id}"
    r = b.client.post(url, data={"csrf_token": b.csrf, "keyframe": "0", "decision": "approve"})
    assert r.status_code == 409 and "cannot be reviewed now" in r.text
    stranger = browser()
    r = stranger.client.post(url, data={"csrf_token": stranger.csrf, "keyframe": "0",
                                        "decision": "approve"})
    assert r.status_code == 404
