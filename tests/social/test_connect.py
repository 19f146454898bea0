"""Connecting YouTube through Google's OAuth flow (state, PKCE S256), tokens sealed at
rest, refreshed before expiry, revoked on disconnect."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.social.conftest import connect, keyed
from tests.social.fakes.youtube import FakeYouTube
from ugen.core.config import Settings
from ugen.core.crypto import SecretDecryptionError
from ugen.social import connections, oauth
from ugen.social.registry import platform_for
from ugen.store import sealed
from ugen.store.db import session_scope
from ugen.store.models import OAuthState, SocialConnection, utcnow


def _row(settings: Settings, account_id: str) -> SocialConnection:
    with session_scope(settings) as s:
        row = s.scalars(select(SocialConnection).where(
            SocialConnection.account_id == account_id)).one()
        s.expunge(row)
        return row


def test_connect_youtube_stores_tokens_encrypted(
        client: TestClient, fake_youtube: FakeYouTube, social_settings: Settings,
        make_account: Callable[[], tuple[str, str]]) -> None:
    account_id, key = make_account()
    start = client.get("/api/v1/social/youtube/connect", headers=keyed(key)).json()
    query = parse_qs(urlparse(start["authorization_url"]).query)
    assert query["code_challenge_method"] == ["S256"]
    assert query["state"] == [start["state"]]
    assert query["access_type"] == ["offline"]
    back = fake_youtube.callback_of(start["authorization_url"])
    done = client.get("/api/v1/social/youtube/callback", params=back)
    assert done.status_code == 200, done.text
    assert done.json()["display_name"] == "Glow Serum Official"

    listed = client.get("/api/v1/social", headers=keyed(key)).json()["items"]
    assert [(c["platform"], c["status"]) for c in listed] == [("youtube", "active")]
    assert "token" not in str(listed).replace("token_expires_at", "")
    row = _row(social_settings, account_id)
    issued = set(fake_youtube.tokens) | {g.refresh_token for g in fake_youtube.grants}
    assert row.access_token.startswith("enc:v1:")
    assert row.refresh_token is not None and row.refresh_token.startswith("enc:v1:")
    assert not any(t in row.access_token or t in row.refresh_token for t in issued)
    # the state is kept hashed, and spent
    with session_scope(social_settings) as s:
        state = s.get(OAuthState, oauth.state_hash(start["state"]))
        assert state is not None and state.used_at is not None
        assert state.code_verifier is not None and state.code_verifier.startswith("enc:v1:")


def test_callback_refuses_reused_or_unknown_state(
        client: TestClient, fake_youtube: FakeYouTube,
        make_account: Callable[[], tuple[str, str]]) -> None:
    _, key = make_account()
    start = client.get("/api/v1/social/youtube/connect", headers=keyed(key)).json()
    back = fake_youtube.callback_of(start["authorization_url"])
    forged = client.get("/api/v1/social/youtube/callback",
                        params={**back, "state": oauth.new_state()})
    assert forged.status_code == 400
    assert forged.json()["error"]["details"]["reason"] == "state_mismatch"
    assert not any(c.used for c in fake_youtube.codes.values())  # nothing exchanged
    assert client.get("/api/v1/social/youtube/callback", params=back).status_code == 200
    again = client.get("/api/v1/social/youtube/callback", params=back)
    assert again.status_code == 400
    assert again.json()["error"]["details"]["reason"] == "state_used"


def test_callback_refuses_code_of_another_attempt_by_pkce(
        client: TestClient, fake_youtube: FakeYouTube,
        make_account: Callable[[], tuple[str, str]]) -> None:
    _, key = make_account()
    first = client.get("/api/v1/social/youtube/connect", headers=keyed(key)).json()
    second = client.get("/api/v1/social/youtube/connect", headers=keyed(key)).json()
    code_of_first = fake_youtube.callback_of(first["authorization_url"])["code"]
    # A code injected into another attempt: its verifier does not match the code's challenge.
    r = client.get("/api/v1/social/youtube/callback",
                   params={"state": second["state"], "code": code_of_first})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "OAUTH_FAILED"
    assert r.json()["error"]["details"]["reason"] == "invalid_grant"
    assert client.get("/api/v1/social", headers=keyed(key)).json()["items"] == []


def test_callback_refuses_expired_state(
        client: TestClient, fake_youtube: FakeYouTube, social_settings: Settings,
        make_account: Callable[[], tuple[str, str]]) -> None:
    _, key = make_account()
    start = client.get("/api/v1/social/youtube/connect", headers=keyed(key)).json()
    with session_scope(social_settings) as s:
        row = s.get(OAuthState, oauth.state_hash(start["state"]))
        assert row is not None
        row.expires_at = utcnow() - timedelta(seconds=1)
    back = fake_youtube.callback_of(start["authorization_url"])
    r = client.get("/api/v1/social/youtube/callback", params=back)
    assert r.status_code == 400
    assert r.json()["error"]["details"]["reason"] == "state_expired"


def test_expired_access_token_is_refreshed_before_use(
        client: TestClient, fake_youtube: FakeYouTube, social_settings: Settings,
        make_account: Callable[[], tuple[str, str]]) -> None:
    account_id, key = make_account()
    connect(client, fake_youtube, key)
    youtube = platform_for(social_settings, "youtube")
    old = connections.fresh_access_token(social_settings, youtube, account_id)
    assert fake_youtube.refreshes == 0
    with session_scope(social_settings) as s:
        row = s.scalars(select(SocialConnection)).one()
        row.expires_at = utcnow() + timedelta(seconds=10)  # within the refresh margin
    fake_youtube.expire_tokens()
    new = connections.fresh_access_token(social_settings, youtube, account_id)
    assert new != old and fake_youtube.refreshes == 1
    assert fake_youtube.tokens[new].expires_at > fake_youtube.tokens[old].expires_at
    row = _row(social_settings, account_id)
    assert row.access_token.startswith("enc:v1:") and new not in row.access_token
    assert connections.fresh_access_token(social_settings, youtube, account_id) == new


def test_disconnect_revokes_at_google_and_forgets(
        client: TestClient, fake_youtube: FakeYouTube,
        make_account: Callable[[], tuple[str, str]]) -> None:
    _, key = make_account()
    connect(client, fake_youtube, key)
    r = client.delete("/api/v1/social/youtube", headers=keyed(key))
    assert r.status_code == 200, r.text
    assert r.json() == {"platform": "youtube", "deleted": True, "revoked_at_platform": True}
    assert fake_youtube.revocations == 1 and fake_youtube.grants[0].revoked
    assert client.get("/api/v1/social", headers=keyed(key)).json()["items"] == []
    again = client.delete("/api/v1/social/youtube", headers=keyed(key))
    assert again.status_code == 404
    assert again.json()["error"]["code"] == "NOT_CONNECTED"


def test_connect_unconfigured_or_unknown_platform(
        client: TestClient, make_account: Callable[[], tuple[str, str]]) -> None:
    _, key = make_account()
    r = client.get("/api/v1/social/tiktok/connect", headers=keyed(key))
    assert r.status_code == 404 and r.json()["error"]["code"] == "PLATFORM_NOT_CONFIGURED"
    assert client.get("/api/v1/social/myspace/connect", headers=keyed(key)).status_code == 422
    assert client.get("/api/v1/social/youtube/connect").status_code == 401


def test_sealed_token_does_not_open_for_another_account(
        client: TestClient, fake_youtube: FakeYouTube, social_settings: Settings,
        make_account: Callable[[], tuple[str, str]]) -> None:
    account_id, key = make_account()
    connect(client, fake_youtube, key)
    row = _row(social_settings, account_id)
    purpose = b"ugen social tokens v1"
    token = sealed.unseal(social_settings, row.access_token, purpose=purpose,
                          context=f"{account_id}:youtube:access")
    assert token in fake_youtube.tokens
    with pytest.raises(SecretDecryptionError):
        sealed.unseal(social_settings, row.access_token, purpose=purpose,
                      context="someone-else:youtube:access")
    with pytest.raises(SecretDecryptionError):  # nor as a webhook secret
        sealed.unseal(social_settings, row.access_token, purpose=b"ugen webhook secrets v1",
                      context=f"{account_id}:youtube:access")
