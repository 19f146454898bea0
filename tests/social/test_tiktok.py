"""TikTok: Login Kit connect, and Direct Post (creator_info, chunked FILE_UPLOAD, status)
against the fake, as a durable post workflow."""

from __future__ import annotations

import itertools
import subprocess
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.social.conftest import completed_job, keyed, make_video
from tests.social.fakes.tiktok import BASIC, FakeTikTok
from tests.social.fakes.youtube import FakeYouTube
from tests.social.test_posting import wait_post
from ugen.core.config import Settings, get_settings
from ugen.pipeline import runtime
from ugen.social.tiktok import MB, chunk_plan, chunk_ranges
from ugen.store.db import session_scope
from ugen.store.models import SocialConnection, utcnow

POST = {"platform": "tiktok", "title": "Glow Serum in 15 seconds",
        "description": "Morning routine.", "hashtags": ["#skincare", "glow"],
        "privacy": "PUBLIC_TO_EVERYONE"}


@pytest.fixture
def social_settings(fake_youtube: FakeYouTube, fake_tiktok: FakeTikTok) -> Settings:
    return get_settings()


@pytest.fixture(scope="module")
def big_video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real H.264/AAC MP4 of about 18 MB (lossless noise): three TikTok chunks of 5 MB,
    the last one taking the remainder."""
    path = tmp_path_factory.mktemp("tiktok") / "final.mp4"
    argv = ["ffmpeg", "-v", "error", "-y", "-f", "lavfi",
            "-i", "testsrc2=size=360x640:rate=30:duration=2,noise=alls=20:allf=t",
            "-f", "lavfi", "-i", "sine=frequency=440:duration=2",
            "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-shortest", "-movflags", "+faststart", str(path)]
    subprocess.run(argv, check=True, timeout=120, capture_output=True)
    assert path.stat().st_size > 10 * MB
    return path


def connect_tiktok(client: TestClient, fake: FakeTikTok, key: str) -> dict[str, Any]:
    start = client.get("/api/v1/social/tiktok/connect", headers=keyed(key))
    assert start.status_code == 200, start.text
    done = client.get("/api/v1/social/tiktok/callback",
                      params=fake.callback_of(start.json()["authorization_url"]))
    assert done.status_code == 200, done.text
    body: dict[str, Any] = done.json()
    return body


@pytest.fixture
def worker(social_settings: Settings) -> Iterator[None]:
    runtime.start(social_settings, role="worker")
    yield
    runtime.stop()


@pytest.fixture
def ready(client: TestClient, fake_tiktok: FakeTikTok, social_settings: Settings,
          make_account: Callable[[], tuple[str, str]], big_video: Path,
          worker: None) -> tuple[str, str, str]:
    """(account id, key, job id): TikTok connected, the job completed, a worker running."""
    account_id, key = make_account()
    connect_tiktok(client, fake_tiktok, key)
    return account_id, key, completed_job(social_settings, account_id, big_video)


def post(client: TestClient, key: str, job_id: str, **changes: Any) -> dict[str, Any]:
    r = client.post(f"/api/v1/jobs/{job_id}/posts", headers=keyed(key), json={**POST, **changes})
    assert r.status_code == 202, r.text
    return wait_post(client, key, job_id, r.json()["id"])


# --- the chunk arithmetic (pure) ---------------------------------------------------------

@pytest.mark.parametrize(("size", "preferred", "plan"), [
    (1 * MB, 8 * MB, (1 * MB, 1)),              # under 5 MB: whole
    (5 * MB, 256 * 1024, (5 * MB, 1)),          # chunk raised to 5 MB: one chunk
    (100 * MB, 8 * MB, (8 * MB, 12)),           # last chunk 12 MB
    (200 * MB, 128 * MB, (64 * MB, 3)),         # chunk capped at 64 MB, last 72 MB
    (4 * 1024 * MB, 5 * MB, (5 * MB, 819)),
    (6000 * MB, 5 * MB, (6 * MB, 1000)),        # never more than 1000 chunks
])
def test_chunk_plan_follows_tiktok_rules(size: int, preferred: int,
                                         plan: tuple[int, int]) -> None:
    assert chunk_plan(size, preferred) == plan
    chunk, count = plan
    ranges = chunk_ranges(size, chunk, count)
    assert ranges[0][0] == 0 and ranges[-1][1] == size - 1
    assert all(b[0] == a[1] + 1 for a, b in itertools.pairwise(ranges))
    assert all(last - first + 1 == chunk for first, last in ranges[:-1])
    assert chunk <= ranges[-1][1] - ranges[-1][0] + 1 <= 128 * MB


# --- connect -----------------------------------------------------------------------------

def test_connect_tiktok_asks_publish_scope_and_stores_tokens_sealed(
        client: TestClient, fake_tiktok: FakeTikTok, social_settings: Settings,
        make_account: Callable[[], tuple[str, str]]) -> None:
    account_id, key = make_account()
    start = client.get("/api/v1/social/tiktok/connect", headers=keyed(key)).json()
    query = parse_qs(urlparse(start["authorization_url"]).query)
    assert query["client_key"] == [fake_tiktok.client_key]
    assert query["scope"] == ["user.info.basic,video.publish"]
    assert "code_challenge" not in query  # Login Kit for Web documents no PKCE
    done = client.get("/api/v1/social/tiktok/callback",
                      params=fake_tiktok.callback_of(start["authorization_url"]))
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["display_name"] == "Glow Serum"
    assert body["platform_user_id"] == fake_tiktok.grants[0].open_id
    assert set(body["scopes"]) == {"user.info.basic", "video.publish"}
    with session_scope(social_settings) as s:
        row = s.scalars(select(SocialConnection).where(
            SocialConnection.account_id == account_id)).one()
        assert row.access_token.startswith("enc:v1:")
        assert not any(t in row.access_token for t in fake_tiktok.tokens)
        assert row.refresh_token is not None
        assert fake_tiktok.grants[0].refresh_token not in row.refresh_token


def test_connect_without_publish_scope_is_refused(
        client: TestClient, fake_tiktok: FakeTikTok,
        make_account: Callable[[], tuple[str, str]]) -> None:
    _, key = make_account()
    fake_tiktok.grant_scopes = {BASIC}  # the user unticked posting on the consent screen
    start = client.get("/api/v1/social/tiktok/connect", headers=keyed(key)).json()
    r = client.get("/api/v1/social/tiktok/callback",
                   params=fake_tiktok.callback_of(start["authorization_url"]))
    assert r.status_code == 400 and r.json()["error"]["details"]["reason"] == "scope"
    assert client.get("/api/v1/social", headers=keyed(key)).json()["items"] == []


def test_disconnect_revokes_with_the_access_token(
        client: TestClient, fake_tiktok: FakeTikTok,
        make_account: Callable[[], tuple[str, str]]) -> None:
    _, key = make_account()
    connect_tiktok(client, fake_tiktok, key)
    r = client.delete("/api/v1/social/tiktok", headers=keyed(key))
    assert r.status_code == 200, r.text
    assert r.json() == {"platform": "tiktok", "deleted": True, "revoked_at_platform": True}
    assert fake_tiktok.revocations == 1 and fake_tiktok.grants[0].revoked
    assert client.get("/api/v1/social", headers=keyed(key)).json()["items"] == []


# --- posting -----------------------------------------------------------------------------

def test_post_uploads_in_tiktok_chunks_and_publishes_private_with_notice(
        client: TestClient, fake_tiktok: FakeTikTok, ready: tuple[str, str, str],
        big_video: Path) -> None:
    _, key, job_id = ready
    result = post(client, key, job_id)
    assert result["status"] == "published", result
    publish = next(iter(fake_tiktok.publishes.values()))
    size = big_video.stat().st_size
    assert (publish.chunk_size, publish.chunks) == (5 * MB, size // (5 * MB))
    assert [(a, b) for _, a, b in fake_tiktok.chunk_puts] == chunk_ranges(
        size, 5 * MB, size // (5 * MB))
    assert bytes(publish.data) == big_video.read_bytes()
    info = publish.post_info
    assert info["is_aigc"] is True
    assert info["privacy_level"] == "SELF_ONLY"  # unaudited app: private whatever was asked
    assert info["title"] == "Glow Serum in 15 seconds\n\nMorning routine.\n\n#skincare #glow"
    assert info["disable_stitch"] is True  # the creator turned stitches off
    assert any(n.startswith("unaudited_app:") and "PUBLIC_TO_EVERYONE" in n
               for n in result["notices"])
    assert "privacy:SELF_ONLY" in result["notices"]
    assert result["platform_post_id"] == publish.id
    assert result["url"] == "https://www.tiktok.com/@glowserum"


def test_audited_app_posts_publicly_with_the_video_url(
        client: TestClient, fake_tiktok: FakeTikTok, ready: tuple[str, str, str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    _, key, job_id = ready
    fake_tiktok.audited = True
    monkeypatch.setenv("UGEN_TIKTOK_AUDITED", "true")
    result = post(client, key, job_id)
    assert result["status"] == "published", result
    publish = fake_tiktok.published[0]
    assert publish.post_info["privacy_level"] == "PUBLIC_TO_EVERYONE"
    assert result["platform_post_id"] == str(publish.post_id)
    assert result["url"] == f"https://www.tiktok.com/@glowserum/video/{publish.post_id}"
    assert not any(n.startswith("unaudited_app:") for n in result["notices"])


def test_transient_chunk_failure_resumes_where_tiktok_stopped(
        client: TestClient, fake_tiktok: FakeTikTok, ready: tuple[str, str, str],
        big_video: Path) -> None:
    _, key, job_id = ready
    fake_tiktok.inject("chunk", 500, "internal_error", after=1, times=2)
    result = post(client, key, job_id)
    assert result["status"] == "published", result
    assert len(fake_tiktok.publishes) == 1
    starts = [a for _, a, _ in fake_tiktok.chunk_puts]
    assert starts == sorted(set(starts))  # every chunk accepted once, in order
    assert bytes(fake_tiktok.published[0].data) == big_video.read_bytes()


def test_rate_limited_init_waits_for_the_window(
        client: TestClient, fake_tiktok: FakeTikTok, ready: tuple[str, str, str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    _, key, job_id = ready
    monkeypatch.setenv("UGEN_SOCIAL_MAX_ATTEMPTS", "10")  # 0.3 s waits across a 1 s window
    fake_tiktok.window_s = 1.0
    fake_tiktok.throttle_next("init")  # the user's other posts spent this minute's 6 inits
    result = post(client, key, job_id)
    assert result["status"] == "published", result
    assert fake_tiktok.rejected["rate:init"] >= 1
    assert len(fake_tiktok.publishes) == 1


def test_privacy_the_creator_does_not_allow_fails_before_upload(
        client: TestClient, fake_tiktok: FakeTikTok, ready: tuple[str, str, str]) -> None:
    _, key, job_id = ready
    fake_tiktok.privacy_options = ["FOLLOWER_OF_CREATOR", "SELF_ONLY"]  # a private account
    result = post(client, key, job_id)
    assert result["status"] == "failed" and result["error_code"] == "PLATFORM_REJECTED"
    assert "does not allow privacy PUBLIC_TO_EVERYONE" in result["error_message"]
    assert "FOLLOWER_OF_CREATOR, SELF_ONLY" in result["error_message"]
    assert fake_tiktok.publishes == {}


def test_video_longer_than_the_creator_may_post_fails_before_upload(
        client: TestClient, fake_tiktok: FakeTikTok, ready: tuple[str, str, str]) -> None:
    _, key, job_id = ready
    fake_tiktok.max_duration_s = 1
    result = post(client, key, job_id, privacy="SELF_ONLY")
    assert result["status"] == "failed" and result["error_code"] == "VIDEO_SPEC"
    assert "over this account's 1 s maximum" in result["error_message"]
    assert fake_tiktok.publishes == {}


def test_unknown_privacy_value_fails_the_spec_check(
        client: TestClient, fake_tiktok: FakeTikTok, ready: tuple[str, str, str]) -> None:
    _, key, job_id = ready
    result = post(client, key, job_id, privacy="public")
    assert result["status"] == "failed" and result["error_code"] == "VIDEO_SPEC"
    assert "SELF_ONLY" in result["error_message"] and fake_tiktok.publishes == {}


def test_daily_post_cap_is_reported_as_quota(
        client: TestClient, fake_tiktok: FakeTikTok, ready: tuple[str, str, str]) -> None:
    _, key, job_id = ready
    fake_tiktok.daily_post_cap = 0
    result = post(client, key, job_id)
    assert result["status"] == "failed" and result["error_code"] == "QUOTA_EXCEEDED"
    assert "spam_risk_too_many_posts" in result["error_message"]
    assert "log_id" in result["error_message"]


def test_failed_publication_reports_tiktok_reason(
        client: TestClient, fake_tiktok: FakeTikTok, ready: tuple[str, str, str]) -> None:
    _, key, job_id = ready
    fake_tiktok.fail_reason = "frame_rate_check_failed"
    result = post(client, key, job_id)
    assert result["status"] == "failed" and result["error_code"] == "PLATFORM_REJECTED"
    assert "frame_rate_check_failed" in result["error_message"]
    assert result["platform_post_id"] == next(iter(fake_tiktok.publishes))


def test_expired_token_is_refreshed_before_posting(
        client: TestClient, fake_tiktok: FakeTikTok, social_settings: Settings,
        ready: tuple[str, str, str]) -> None:
    account_id, key, job_id = ready
    with session_scope(social_settings) as s:
        row = s.scalars(select(SocialConnection).where(
            SocialConnection.account_id == account_id)).one()
        row.expires_at = utcnow() + timedelta(seconds=10)  # within the refresh margin
    fake_tiktok.expire_tokens()
    result = post(client, key, job_id)
    assert result["status"] == "published", result
    assert fake_tiktok.refreshes == 1


def test_revoked_connection_fails_the_post_clearly(
        client: TestClient, fake_tiktok: FakeTikTok, ready: tuple[str, str, str]) -> None:
    _, key, job_id = ready
    fake_tiktok.revoke_all()  # the user removed U-Gen in TikTok's settings
    result = post(client, key, job_id)
    assert result["status"] == "failed" and result["error_code"] == "CONNECTION_REVOKED"
    assert "access_token_invalid" in result["error_message"]
    assert "reconnect" in result["error_message"]
    connection = client.get("/api/v1/social", headers=keyed(key)).json()["items"][0]
    assert connection["status"] == "revoked"
    assert fake_tiktok.publishes == {}


def test_small_video_goes_as_one_chunk(
        client: TestClient, fake_tiktok: FakeTikTok, social_settings: Settings,
        make_account: Callable[[], tuple[str, str]], tmp_path: Path, worker: None) -> None:
    account_id, key = make_account()
    connect_tiktok(client, fake_tiktok, key)
    small = make_video(tmp_path / "small.mp4")
    job_id = completed_job(social_settings, account_id, small)
    result = post(client, key, job_id)
    assert result["status"] == "published", result
    size = small.stat().st_size
    assert size < 5 * MB
    assert [(a, b) for _, a, b in fake_tiktok.chunk_puts] == [(0, size - 1)]
