"""The jobs list and the job page: another account's job is a 404, text is escaped, the
pipeline shows the 8 stages, retry and cancel are forms, the live stream speaks SSE."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.web.conftest import Browser
from ugen import service
from ugen.core.config import Settings
from ugen.core.schemas import JobOptions
from ugen.core.types import STAGES
from ugen.web.security import CONTENT_SECURITY_POLICY

EVIL = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'


def make_job(settings: Settings, account_id: str, image: Path, **fields: Any) -> str:
    options = JobOptions.model_validate({"product_name": "Glow Serum",
                                         "video_model": "kling3_std", "segment_duration": 3,
                                         "segment_count": 1, **fields})
    return service.submit_job(settings, account_id=account_id, options=options, image=image).id


def test_empty_jobs_list_leads_to_the_first_ad(browser: Callable[..., Browser]) -> None:
    page = browser().client.get("/")
    assert page.status_code == 200
    assert "Make your first ad" in page.text and 'href="/new"' in page.text


def test_jobs_list_filters_and_pages(app_settings: Settings, browser: Callable[..., Browser],
                                     product_image: Path) -> None:
    b = browser()
    ids = [make_job(app_settings, b.account.account_id, product_image,
                    product_name=f"Serum {i}") for i in range(3)]
    service.cancel_job(app_settings, ids[0])
    page = b.client.get("/")
    assert all(f'id="job-{i}"' in page.text for i in ids)
    assert page.text.index("Serum 2") < page.text.index("Serum 0")  # newest first
    cancelled = b.client.get("/?status=cancelled").text
    assert f'id="job-{ids[0]}"' in cancelled and f'id="job-{ids[1]}"' not in cancelled
    assert b.client.get("/?status=bogus").status_code == 400
    assert "No jobs here yet" in b.client.get("/?status=completed").text
    assert b.client.get("/?page=2").status_code == 200


def test_job_page_shows_the_pipeline(app_settings: Settings, browser: Callable[..., Browser],
                                     product_image: Path) -> None:
    b = browser()
    job_id = make_job(app_settings, b.account.account_id, product_image)
    page = b.client.get(f"/jobs/{job_id}")
    assert page.status_code == 200
    for stage in STAGES:
        assert f'<section id="{stage}" class="card stage-panel"' in page.text
        assert f'href="#{stage}"' in page.text
    assert re.search(r'data-live="/jobs/' + job_id
                     + r'/events\?last_event_id=\d+&amp;state=[0-9a-f]{16}"', page.text)
    assert "Pipeline Progress" in page.text and "Click any stage" in page.text
    assert f'action="/jobs/{job_id}/cancel"' in page.text
    assert "job_created" in page.text  # the event log


def test_cancel_and_retry_are_forms(app_settings: Settings, browser: Callable[..., Browser],
                                    product_image: Path) -> None:
    b = browser()
    job_id = make_job(app_settings, b.account.account_id, product_image)
    r = b.client.post(f"/jobs/{job_id}/cancel", data={"csrf_token": b.csrf},
                      follow_redirects=False)
    assert r.status_code == 303
    view = service.job_view(app_settings, job_id, account_id=b.account.account_id)
    assert view.status == "cancelled" and view.retry_from[0].from_stage == "prepare"
    page = b.client.get(f"/jobs/{job_id}").text
    assert f'action="/jobs/{job_id}/retry"' in page and "reserves" in page
    again = b.client.post(f"/jobs/{job_id}/cancel", data={"csrf_token": b.csrf})
    assert again.status_code == 409 and "cannot be cancelled" in again.text
    late = b.client.post(f"/jobs/{job_id}/retry", data={"csrf_token": b.csrf,
                                                        "from_stage": "complete"})
    assert late.status_code == 409 and "cannot be retried" in late.text
    r = b.client.post(f"/jobs/{job_id}/retry", data={"csrf_token": b.csrf,
                                                     "from_stage": "agents"},
                      follow_redirects=False)
    assert r.status_code == 303
    assert service.job_view(app_settings, job_id).run_number == 2


def test_another_accounts_job_is_404(app_settings: Settings, browser: Callable[..., Browser],
                                     product_image: Path) -> None:
    owner, stranger = browser(), browser()
    job_id = make_job(app_settings, owner.account.account_id, product_image)
    assert owner.client.get(f"/jobs/{job_id}").status_code == 200
    page = stranger.client.get(f"/jobs/{job_id}")
    missing = stranger.client.get("/jobs/00000000-0000-0000-0000-000000000000")
    assert page.status_code == missing.status_code == 404
    assert page.text.replace(job_id, "") == missing.text.replace(
        "00000000-0000-0000-0000-000000000000", "")
    assert "Glow Serum" not in page.text
    assert stranger.client.get(f"/jobs/{job_id}/events").status_code == 404
    for action in ("cancel", "retry"):
        r = stranger.client.post(f"/jobs/{job_id}/{action}", data={"csrf_token": stranger.csrf})
        assert r.status_code == 404
    assert service.job_view(app_settings, job_id).status == "queued"
    assert f"job-{job_id}" not in stranger.client.get("/").text


def test_user_text_is_escaped(app_settings: Settings, browser: Callable[..., Browser],
                              product_image: Path) -> None:
    b = browser()
    job_id = make_job(app_settings, b.account.account_id, product_image, product_name=EVIL,
                      key_selling_points=[EVIL], cta_text=EVIL,
                      custom_script=f"{EVIL} is the one serum you need today")
    for path in ("/", f"/jobs/{job_id}"):
        page = b.client.get(path).text
        assert "<script>window.__pwned" not in page and "<img src=x" not in page
        assert html.escape(EVIL, quote=False) in page.replace("&#34;", '"').replace(
            "&#39;", "'")


def test_every_page_sends_the_security_headers(app_settings: Settings,
                                               browser: Callable[..., Browser],
                                               product_image: Path) -> None:
    b = browser()
    job_id = make_job(app_settings, b.account.account_id, product_image)
    assert "frame-ancestors 'none'" in CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert "unsafe-eval" not in CONTENT_SECURITY_POLICY
    for path in ("/", "/new", f"/jobs/{job_id}", "/credits", "/settings", "/models", "/nope"):
        r = b.client.get(path)
        assert r.headers["content-security-policy"] == CONTENT_SECURITY_POLICY, path
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["cache-control"] == "no-store"
        assert "<script>" not in r.text and " on" + "click=" not in r.text
        assert all(src.startswith("/static/") for src in re.findall(r'<script src="([^"]+)"',
                                                                     r.text))
    anonymous = b.client.__class__(b.client.app).get("/login")
    assert anonymous.headers["content-security-policy"] == CONTENT_SECURITY_POLICY


def test_unknown_dashboard_page_is_a_404_page(browser: Callable[..., Browser]) -> None:
    r = browser().client.get("/no/such/page")
    assert r.status_code == 404 and "There is no page at this address" in r.text


def test_api_answers_stay_the_apis(browser: Callable[..., Browser]) -> None:
    client = browser().client
    r = client.get("/api/v1/no-such-thing")
    assert r.status_code == 404 and r.json()["error"]["code"] == "NOT_FOUND"
    assert client.delete("/api/v1/jobs").status_code == 405
    assert client.get("/api/v1/jobs").status_code == 401  # the cookie is not an API key
    assert client.get("/openapi.json").json()["info"]["title"] == "U-Gen API"
    paths = client.get("/openapi.json").json()["paths"]
    assert all(p.startswith("/api/v1/") for p in paths)


def _sse(body: str) -> list[tuple[str | None, str, dict[str, Any]]]:
    out = []
    for block in body.split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.split("\n")
                      if ": " in line and not line.startswith(":"))
        if "event" in fields:
            out.append((fields.get("id"), fields["event"], json.loads(fields["data"])))
    return out


def test_live_stream_of_an_ended_job(app_settings: Settings, browser: Callable[..., Browser],
                                     product_image: Path) -> None:
    b = browser()
    job_id = make_job(app_settings, b.account.account_id, product_image,
                      product_name="<b>Bold</b>")
    service.cancel_job(app_settings, job_id)
    with b.client.stream("GET", f"/jobs/{job_id}/events") as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        events = _sse(r.read().decode())
    kinds = [kind for _, kind, _ in events]
    assert kinds[:2] == ["job_created", "job_cancelled"]
    assert kinds[-1] == "end" and "progress" in kinds and "partials" in kinds
    logged = [(i, data) for i, kind, data in events if i is not None]
    assert [data["type"] for _, data in logged] == ["job_created", "job_cancelled"]
    assert all(int(i) == data["id"] for i, data in logged)
    parts = next(data for _, kind, data in events if kind == "partials")
    assert {"job-summary", "pipeline", *(f"{s}-head" for s in STAGES)} <= set(parts)
    assert "&lt;b&gt;Bold&lt;/b&gt;" in parts["job-summary"]
    lines = next(data for _, kind, data in events if kind == "append")["event-lines"]
    assert "job_cancelled" in lines
    first = logged[0][0]
    with b.client.stream("GET", f"/jobs/{job_id}/events",
                         headers={"Last-Event-ID": str(first)}) as r:
        resumed = [data["type"] for i, _, data in _sse(r.read().decode()) if i is not None]
    assert resumed == ["job_cancelled"]


@pytest.mark.parametrize("query", ["?status=bogus", "?page=0"])
def test_list_stream_refuses_bad_queries(browser: Callable[..., Browser], query: str) -> None:
    r = browser().client.get(f"/events{query}", headers={"Accept": "text/event-stream"})
    assert r.status_code == 400
