"""The Connections page (connect through the platform and back, disconnect with CSRF) and the
social posts on a completed job's page (the list and the "Post to…" form)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs, urlparse

import pytest
from sqlalchemy import select

from tests.social.conftest import fake_youtube  # noqa: F401 (fixture)
from tests.social.fakes.youtube import UPLOAD, FakeYouTube
from tests.web.conftest import Browser
from tests.web.seeded_jobs import seed_job
from ugen.core.config import Settings, get_settings
from ugen.pipeline import posting, runtime
from ugen.service import social as social_service
from ugen.social import posts
from ugen.store.db import session_scope
from ugen.store.models import SocialPost


@pytest.fixture
def app_settings(fake_youtube: FakeYouTube) -> Settings:  # noqa: F811
    """The suite's settings with YouTube pointed at the fake (TikTok and Instagram are not
    configured)."""
    return get_settings().model_copy(update={"allow_private_urls": True})


def connect_youtube(b: Browser, fake: FakeYouTube) -> str:
    """Connect as a browser would: dashboard → Google's consent → API callback → back."""
    start = b.client.get("/connections/youtube/connect", follow_redirects=False)
    assert start.status_code == 303, start.text
    consent = start.headers["location"]
    assert consent.startswith(f"{fake.base_url}/o/oauth2/v2/auth?")
    assert parse_qs(urlparse(consent).query)["state"][0].startswith("web.")
    back = fake.callback_of(consent)
    done = b.client.get("/api/v1/social/youtube/callback", params=back,
                        follow_redirects=False)
    assert done.status_code == 303, done.text
    location: str = done.headers["location"]
    return location


def test_connect_and_disconnect_from_the_dashboard(
        browser: Callable[..., Browser], fake_youtube: FakeYouTube) -> None:  # noqa: F811
    b = browser()
    page = b.client.get("/connections")
    assert page.status_code == 200
    assert 'href="/connections" aria-current="page"' in page.text
    assert 'href="/connections/youtube/connect"' in page.text
    assert "TikTok is not configured" in page.text  # no OAuth client: no Connect button
    assert 'href="/connections/tiktok/connect"' not in page.text

    assert connect_youtube(b, fake_youtube) == "/connections?connected=youtube"
    page = b.client.get("/connections?connected=youtube")
    assert "YouTube Shorts is connected." in page.text
    assert "Glow Serum Official" in page.text and UPLOAD in page.text
    assert "Active" in page.text and "ya29." not in page.text and "1//r-" not in page.text
    (row,) = social_service.connections_of(get_settings(), b.account.account_id)
    assert row.display_name == "Glow Serum Official" and row.status == "active"

    forged = b.client.post("/connections/youtube/disconnect", data={"csrf_token": "forged"})
    assert forged.status_code == 403
    cross = b.client.post("/connections/youtube/disconnect", data={"csrf_token": b.csrf},
                          headers={"origin": "https://evil.example"})
    assert cross.status_code == 403
    assert len(social_service.connections_of(get_settings(), b.account.account_id)) == 1

    r = b.client.post("/connections/youtube/disconnect", data={"csrf_token": b.csrf},
                      follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/connections?disconnected=youtube"
    assert social_service.connections_of(get_settings(), b.account.account_id) == []
    assert fake_youtube.revocations == 1
    page = b.client.get(r.headers["location"])
    assert "YouTube Shorts is disconnected." in page.text and "Not connected." in page.text
    again = b.client.post("/connections/youtube/disconnect", data={"csrf_token": b.csrf})
    assert again.status_code == 404 and "is not connected" in again.text


def test_failed_or_replayed_callback_comes_back_with_the_reason(
        browser: Callable[..., Browser], fake_youtube: FakeYouTube) -> None:  # noqa: F811
    b = browser()
    start = b.client.get("/connections/youtube/connect", follow_redirects=False)
    back = fake_youtube.callback_of(start.headers["location"])
    declined = b.client.get("/api/v1/social/youtube/callback",
                            params={"state": back["state"], "error": "access_denied"},
                            follow_redirects=False)
    assert declined.status_code == 303
    assert declined.headers["location"] == \
        "/connections?failed=youtube&reason=access_denied"
    replay = b.client.get("/api/v1/social/youtube/callback", params=back,
                          follow_redirects=False)  # the state was spent
    assert replay.headers["location"] == "/connections?failed=youtube&reason=state_used"
    page = b.client.get(replay.headers["location"])
    assert "Connecting YouTube Shorts did not complete (state_used)" in page.text
    odd = b.client.get("/connections?failed=youtube&reason=<script>")
    assert "<script>" not in odd.text and "(unknown)" in odd.text
    assert social_service.connections_of(get_settings(), b.account.account_id) == []


def test_connect_an_unconfigured_platform_says_why(browser: Callable[..., Browser]) -> None:
    b = browser()
    r = b.client.get("/connections/tiktok/connect", follow_redirects=False)
    assert r.status_code == 409 and "UGEN_TIKTOK_CLIENT_KEY" in r.text
    assert b.client.get("/connections/myspace/connect").status_code in (404, 422, 400)
    b.client.cookies.clear()
    signed_out = b.client.get("/connections", follow_redirects=False)
    assert signed_out.status_code in (302, 303)


def test_job_page_lists_posts_and_posts_through_the_form(
        browser: Callable[..., Browser], fake_youtube: FakeYouTube,  # noqa: F811
        app_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[str] = []
    monkeypatch.setattr(posting, "start_post", started.append)  # no worker in these tests
    monkeypatch.setattr(runtime, "active_role", lambda: "client")
    b = browser()
    job = seed_job(app_settings, b.account.account_id, segments=1)
    page = b.client.get(f"/jobs/{job.job_id}")
    assert 'id="social-posts"' in page.text
    assert "not posted anywhere yet" in page.text and 'href="/connections"' in page.text
    assert 'action="/jobs/' not in page.text.split('id="social-posts"')[1].split("</section>")[0]

    connect_youtube(b, fake_youtube)
    page = b.client.get(f"/jobs/{job.job_id}")
    assert f'action="/jobs/{job.job_id}/posts"' in page.text
    assert '<option value="youtube">YouTube Shorts</option>' in page.text

    forged = b.client.post(f"/jobs/{job.job_id}/posts", data={
        "platform": "youtube", "title": "Glow", "csrf_token": "nope"})
    assert forged.status_code == 403 and started == []
    bad = b.client.post(f"/jobs/{job.job_id}/posts", data={
        "platform": "youtube", "title": "Glow", "hashtags": "ok, #no#pe",
        "csrf_token": b.csrf})
    assert bad.status_code == 422 and "hashtags" in bad.text and started == []
    unconnected = b.client.post(f"/jobs/{job.job_id}/posts", data={
        "platform": "tiktok", "title": "Glow", "csrf_token": b.csrf})
    assert unconnected.status_code == 409 and "TikTok is not configured" in unconnected.text
    r = b.client.post(f"/jobs/{job.job_id}/posts", data={
        "platform": "youtube", "title": "Glow Serum in 15 seconds",
        "hashtags": "skincare, #glow", "privacy": "unlisted", "csrf_token": b.csrf},
        follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/jobs/{job.job_id}"
    with session_scope(app_settings) as s:
        (row,) = s.scalars(select(SocialPost).where(SocialPost.job_id == job.job_id)).all()
        assert row.platform == "youtube" and row.status == "queued"
        assert row.request["hashtags"] == ["skincare", "#glow"]
        assert row.request["privacy"] == "unlisted"
        assert started == [row.id]
        queued_id = row.id

    other, _ = posts.create_post(app_settings, account_id=b.account.account_id,
                                 job_id=job.job_id, platform="youtube",
                                 request={"title": "Second"}, idempotency_key="k2")
    posts.set_failed(app_settings, other.id, code="QUOTA_EXCEEDED",
                     message="YouTube refused the upload session: quotaExceeded")
    posts.set_published(app_settings, queued_id, platform_post_id="vid1",
                        url="https://www.youtube.com/shorts/vid1", notices=("short",))
    page = b.client.get(f"/jobs/{job.job_id}")
    section = page.text.split('id="social-posts"')[1].split("</section>")[0]
    assert 'href="https://www.youtube.com/shorts/vid1"' in section
    assert 'rel="noopener noreferrer"' in section and ">published<" in section
    assert "QUOTA_EXCEEDED: YouTube refused the upload session: quotaExceeded" in section
    assert ">failed<" in section

    stranger = browser()
    r = stranger.client.post(f"/jobs/{job.job_id}/posts", data={
        "platform": "youtube", "title": "Mine now", "csrf_token": stranger.csrf})
    assert r.status_code == 404
