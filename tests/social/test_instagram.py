"""Instagram Reels: Business Login connect (long-lived token), the publishing limit, a REELS
container the fake really fetches from the API's signed URL, status polled, then
media_publish — as a durable post workflow."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.providers.fakes.server import LoopbackServer
from tests.social.conftest import completed_job, keyed, make_video
from tests.social.fakes.instagram import BASIC, FakeInstagram
from tests.social.fakes.youtube import FakeYouTube
from tests.social.test_posting import wait_post
from ugen.api.main import create_app
from ugen.core.config import Settings, get_settings
from ugen.pipeline import runtime
from ugen.social import connections
from ugen.social.base import UploadSession
from ugen.social.registry import platform_for
from ugen.store.db import session_scope
from ugen.store.models import SocialConnection

POST = {"platform": "instagram", "title": "Glow Serum in 15 seconds",
        "description": "Morning routine.", "hashtags": ["#skincare", "glow"]}


@pytest.fixture
def social_settings(fake_youtube: FakeYouTube, fake_instagram: FakeInstagram,
                    monkeypatch: pytest.MonkeyPatch, settings: Settings) -> Iterator[Settings]:
    """The settings, with the API also served on a loopback port: the fake fetches the
    video from its signed ``/files`` URL as Meta would from the public API."""
    with LoopbackServer(create_app(get_settings())) as api:
        monkeypatch.setenv("UGEN_SOCIAL_MEDIA_BASE_URL", api.url)
        yield get_settings()


@pytest.fixture
def reel(tmp_path: Path) -> Path:
    return make_video(tmp_path / "reel.mp4", seconds=4.0)  # Reels are at least 3 s


def connect_instagram(client: TestClient, fake: FakeInstagram, key: str) -> dict[str, Any]:
    start = client.get("/api/v1/social/instagram/connect", headers=keyed(key))
    assert start.status_code == 200, start.text
    done = client.get("/api/v1/social/instagram/callback",
                      params=fake.callback_of(start.json()["authorization_url"]))
    assert done.status_code == 200, done.text
    body: dict[str, Any] = done.json()
    return body


@pytest.fixture
def ready(client: TestClient, fake_instagram: FakeInstagram, social_settings: Settings,
          make_account: Callable[[], tuple[str, str]], reel: Path) -> Iterator[
              tuple[str, str, str]]:
    """(account id, key, job id): Instagram connected, the job completed, a worker running."""
    account_id, key = make_account()
    connect_instagram(client, fake_instagram, key)
    job_id = completed_job(social_settings, account_id, reel)
    runtime.start(social_settings, role="worker")
    yield account_id, key, job_id
    runtime.stop()


def post(client: TestClient, key: str, job_id: str, **changes: Any) -> dict[str, Any]:
    r = client.post(f"/api/v1/jobs/{job_id}/posts", headers=keyed(key), json={**POST, **changes})
    assert r.status_code == 202, r.text
    return wait_post(client, key, job_id, r.json()["id"])


def test_connect_instagram_keeps_a_long_lived_token_sealed(
        client: TestClient, fake_instagram: FakeInstagram, social_settings: Settings,
        make_account: Callable[[], tuple[str, str]]) -> None:
    account_id, key = make_account()
    start = client.get("/api/v1/social/instagram/connect", headers=keyed(key)).json()
    query = parse_qs(urlparse(start["authorization_url"]).query)
    assert query["scope"] == ["instagram_business_basic,instagram_business_content_publish"]
    assert "code_challenge" not in query
    done = client.get("/api/v1/social/instagram/callback",
                      params=fake_instagram.callback_of(start["authorization_url"]))
    assert done.status_code == 200, done.text
    assert done.json()["display_name"] == "glowserum"
    assert done.json()["platform_user_id"] == fake_instagram.grants[0].user_id
    long_lived = [v for v, t in fake_instagram.tokens.items() if t.long_lived]
    assert len(long_lived) == 1
    with session_scope(social_settings) as s:
        row = s.scalars(select(SocialConnection).where(
            SocialConnection.account_id == account_id)).one()
        assert row.access_token.startswith("enc:v1:") and long_lived[0] not in row.access_token
        assert row.expires_at is not None  # 60 days, refreshed before it runs out


def test_connect_without_publish_permission_is_refused(
        client: TestClient, fake_instagram: FakeInstagram,
        make_account: Callable[[], tuple[str, str]]) -> None:
    _, key = make_account()
    fake_instagram.grant_scopes = {BASIC}
    start = client.get("/api/v1/social/instagram/connect", headers=keyed(key)).json()
    r = client.get("/api/v1/social/instagram/callback",
                   params=fake_instagram.callback_of(start["authorization_url"]))
    assert r.status_code == 400 and r.json()["error"]["details"]["reason"] == "scope"


def test_disconnect_forgets_and_says_instagram_cannot_revoke(
        client: TestClient, fake_instagram: FakeInstagram,
        make_account: Callable[[], tuple[str, str]]) -> None:
    _, key = make_account()
    connect_instagram(client, fake_instagram, key)
    r = client.delete("/api/v1/social/instagram", headers=keyed(key))
    assert r.status_code == 200, r.text
    assert r.json() == {"platform": "instagram", "deleted": True,
                        "revoked_at_platform": False}
    assert client.get("/api/v1/social", headers=keyed(key)).json()["items"] == []


def test_reel_published_from_the_signed_url_with_permalink(
        client: TestClient, fake_instagram: FakeInstagram, ready: tuple[str, str, str],
        reel: Path) -> None:
    _, key, job_id = ready
    result = post(client, key, job_id)
    assert result["status"] == "published", result
    container = next(iter(fake_instagram.containers.values()))
    assert container.fetched == reel.read_bytes()  # Meta's fetch of the signed URL
    assert "/api/v1/files/" in container.video_url and "signature=" in container.video_url
    assert container.caption == "Glow Serum in 15 seconds\n\nMorning routine.\n\n" \
        "#skincare #glow"
    assert container.is_ai_generated is True  # Instagram's AI info label
    assert result["platform_post_id"] == container.media_id
    assert result["url"] == f"https://www.instagram.com/reel/C{container.media_id}/"
    assert len(fake_instagram.media) == 1


def test_transient_graph_error_is_retried(
        client: TestClient, fake_instagram: FakeInstagram, ready: tuple[str, str, str]) -> None:
    _, key, job_id = ready
    fake_instagram.inject("publish", 2, status=500, times=2)
    fake_instagram.inject("create", 4, times=1)  # application rate limit
    result = post(client, key, job_id)
    assert result["status"] == "published", result
    assert len(fake_instagram.containers) == 1 and len(fake_instagram.media) == 1


def test_publishing_limit_reached_fails_before_the_container(
        client: TestClient, fake_instagram: FakeInstagram, ready: tuple[str, str, str]) -> None:
    _, key, job_id = ready
    fake_instagram.quota_total = 0
    result = post(client, key, job_id)
    assert result["status"] == "failed" and result["error_code"] == "QUOTA_EXCEEDED"
    assert "0 of its 0 API posts" in result["error_message"]
    assert fake_instagram.containers == {}


def test_unfetchable_video_fails_with_instagram_reason(
        client: TestClient, fake_instagram: FakeInstagram, ready: tuple[str, str, str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    _, key, job_id = ready
    monkeypatch.setenv("UGEN_SOCIAL_MEDIA_BASE_URL", "http://127.0.0.1:9")  # unreachable
    result = post(client, key, job_id)
    assert result["status"] == "failed" and result["error_code"] == "PLATFORM_REJECTED"
    assert "ERROR: 2207026" in result["error_message"]
    assert fake_instagram.media == {}


def test_privacy_is_refused_by_the_spec_check(
        client: TestClient, fake_instagram: FakeInstagram, ready: tuple[str, str, str]) -> None:
    _, key, job_id = ready
    result = post(client, key, job_id, privacy="private")
    assert result["status"] == "failed" and result["error_code"] == "VIDEO_SPEC"
    assert fake_instagram.containers == {}


def test_expiring_long_lived_token_is_refreshed(
        client: TestClient, fake_instagram: FakeInstagram, social_settings: Settings,
        ready: tuple[str, str, str]) -> None:
    account_id, key, job_id = ready
    with session_scope(social_settings) as s:
        row = s.scalars(select(SocialConnection).where(
            SocialConnection.account_id == account_id)).one()
        row.expires_at = row.expires_at.replace(year=2000) if row.expires_at else None
    fake_instagram.age_tokens(days=59, expires_in_s=60)  # old enough, not yet expired
    instagram = platform_for(social_settings, "instagram")
    token = connections.fresh_access_token(social_settings, instagram, account_id)
    assert fake_instagram.refreshes == 1 and fake_instagram.tokens[token].long_lived
    result = post(client, key, job_id)
    assert result["status"] == "published", result


def test_revoked_connection_fails_the_post_clearly(
        client: TestClient, fake_instagram: FakeInstagram, ready: tuple[str, str, str]) -> None:
    _, key, job_id = ready
    fake_instagram.revoke_all()
    result = post(client, key, job_id)
    assert result["status"] == "failed" and result["error_code"] == "CONNECTION_REVOKED"
    assert "code 190" in result["error_message"] and "reconnect" in result["error_message"]
    connection = client.get("/api/v1/social", headers=keyed(key)).json()["items"][0]
    assert connection["status"] == "revoked"


def test_container_published_before_a_crash_is_not_published_again(
        client: TestClient, fake_instagram: FakeInstagram, social_settings: Settings,
        ready: tuple[str, str, str]) -> None:
    account_id, key, job_id = ready
    assert post(client, key, job_id)["status"] == "published"
    container = next(iter(fake_instagram.containers.values()))
    instagram = platform_for(social_settings, "instagram")
    token = connections.fresh_access_token(social_settings, instagram, account_id)
    # finish_step replayed after media_publish succeeded but before its checkpoint
    again = instagram.finish(token, UploadSession(platform="instagram", upload_url=None,
                                                  total_bytes=1, remote_id=container.id))
    assert again.post_id == container.id and "post_id:container_id" in again.notices
    assert again.url == "https://www.instagram.com/glowserum/"
    assert len(fake_instagram.media) == 1
