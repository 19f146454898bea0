"""The Connections page and a job's social posts in Debian's Chromium: connect YouTube by
clicking through Google's (fake) consent and back, disconnect after the confirmation, and
both pages at phone and desktop sizes without unlabelled controls, low contrast, overflow
or console errors (a CSP violation is one)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.providers.fakes.server import LoopbackServer
from tests.social.fakes.youtube import FakeYouTube
from tests.utils.api import isolated_settings
from tests.utils.server import running_server
from tests.web.browser_kit import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LOW_CONTRAST_JS,
    OVERFLOW_JS,
    SCREENSHOTS,
    UNLABELLED_JS,
    VIEWPORTS,
    Console,
    chromium_missing,
)
from tests.web.seeded_jobs import seed_job
from ugen import service
from ugen.core.config import Settings
from ugen.social import posts
from ugen.store.api_keys import create_account
from ugen.web import create_site

pytestmark = pytest.mark.skipif(chromium_missing() is not None,
                                reason=str(chromium_missing()))


@dataclass
class Site:
    url: str
    settings: Settings
    account_id: str
    fake: FakeYouTube


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    fake = FakeYouTube()
    with LoopbackServer(fake.app) as google:
        fake.base_url = google.url
        with isolated_settings(
                tmp_path_factory.mktemp("social-web") / "data",
                youtube_client_id=fake.client_id, youtube_client_secret=fake.client_secret,
                youtube_auth_url=f"{google.url}/o/oauth2/v2/auth",
                youtube_token_url=f"{google.url}/token",
                youtube_revoke_url=f"{google.url}/revoke",
                youtube_api_base_url=google.url) as settings:
            account_id, _ = create_account(settings, "Glow Labs", 5000)
            with running_server(create_site(settings)) as url:
                # The browser comes back to this server: its address is known only now.
                settings.social_redirect_base_url = url
                fake.redirect_uris.add(f"{url}/api/v1/social/youtube/callback")
                yield Site(url, settings, account_id, fake)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _open(chromium: Any, site: Site, width: int, height: int) -> tuple[Any, Any, Console]:
    context = chromium.new_context(viewport={"width": width, "height": height},
                                   base_url=site.url)
    context.set_default_timeout(20_000)
    page = context.new_page()
    console = Console()
    console.attach(page)
    page.goto(f"/login/link?token={service.create_login_link(site.settings, site.account_id)}")
    return context, page, console


def _problems(page: Any, where: str) -> list[str]:
    found = [f"{where}: no accessible name: {x}" for x in page.evaluate(UNLABELLED_JS)]
    found += [f"{where}: low contrast {x}" for x in page.evaluate(LOW_CONTRAST_JS)]
    if page.evaluate(OVERFLOW_JS) > 0:
        found.append(f"{where}: wider than the screen")
    return found


def test_connect_by_clicking_through_and_disconnect(chromium: Any, site: Site) -> None:
    context, page, console = _open(chromium, site, 1440, 900)
    try:
        page.goto("/connections")
        page.get_by_role("link", name="Connect YouTube Shorts").click()
        page.wait_for_url(f"{site.url}/connections?connected=youtube")
        assert page.get_by_role("status").inner_text() == "YouTube Shorts is connected."
        row = page.locator("#connection-youtube")
        assert "Glow Serum Official" in row.inner_text() and "Active" in row.inner_text()
        page.once("dialog", lambda dialog: dialog.dismiss())  # changed their mind
        page.get_by_role("button", name="Disconnect YouTube Shorts").click()
        assert "Glow Serum Official" in page.locator("#connection-youtube").inner_text()
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Disconnect YouTube Shorts").click()
        page.wait_for_url(f"{site.url}/connections?disconnected=youtube")
        assert "Not connected." in page.locator("#connection-youtube").inner_text()
        assert site.fake.revocations == 1
        assert console.errors == []
    finally:
        context.close()


def test_connections_and_job_posts_at_both_sizes(chromium: Any, site: Site) -> None:
    job = seed_job(site.settings, site.account_id, segments=1, files=True)
    done, _ = posts.create_post(site.settings, account_id=site.account_id, job_id=job.job_id,
                                platform="youtube", request={"title": "Glow"},
                                idempotency_key="browser-1")
    posts.set_published(site.settings, done.id, platform_post_id="vid1",
                         url="https://www.youtube.com/shorts/vid1", notices=("short",))
    failed, _ = posts.create_post(site.settings, account_id=site.account_id,
                                  job_id=job.job_id, platform="youtube",
                                  request={"title": "Again"}, idempotency_key="browser-2")
    posts.set_failed(site.settings, failed.id, code="QUOTA_EXCEEDED",
                     message="YouTube refused the upload session: quotaExceeded")
    context, page, _ = _open(chromium, site, 1440, 900)  # connected: the form shows
    page.goto("/connections/youtube/connect")
    page.wait_for_url(f"{site.url}/connections?connected=youtube")
    context.close()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    for width, height in VIEWPORTS:
        context, page, console = _open(chromium, site, width, height)
        try:
            page.goto("/connections")
            problems += _problems(page, f"connections at {width}x{height}")
            page.screenshot(path=str(SCREENSHOTS / f"connections-{width}x{height}.png"),
                            full_page=True)
            page.goto(f"/jobs/{job.job_id}#complete")
            page.evaluate("document.getElementById('open-all').click()")
            section = page.locator("#social-posts")
            text = section.inner_text()
            assert "https://www.youtube.com/shorts/vid1" in text
            assert "QUOTA_EXCEEDED: YouTube refused the upload session" in text
            assert section.get_by_label("Post to…").input_value() == "youtube"
            section.scroll_into_view_if_needed()
            problems += _problems(page, f"job posts at {width}x{height}")
            section.screenshot(path=str(SCREENSHOTS / f"job-posts-{width}x{height}.png"))
            problems += [f"console: {e}" for e in console.errors]
        finally:
            context.close()
    assert problems == []
