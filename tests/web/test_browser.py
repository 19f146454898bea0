"""The dashboard in a real browser (Debian's Chromium driven by Playwright).

One server with an in-process worker serves the whole module, and one job made in it is
shared by every test that needs a finished one. Signing in by link and by key; making an ad
from an uploaded image, which fails at ``init`` on a simulated permanent fault of the
keyframe provider, shows its error there, and completes live after a retry from ``init``
clicked in the page; every stage's details opened (keyframes load, the segment and the final
video play, the final video as long as the job says); another account's job; escaping and
Content-Security-Policy probes; and every page at 390×844 and 1440×900 (screenshots under
``test-output/dashboard/``, the job page with its stages open), with no console errors,
labelled controls, AA contrast, nothing wider than the screen, and its own weight under
150 KB.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.utils.api import isolated_settings
from tests.utils.images import product_png
from tests.utils.server import running_server
from tests.web.browser_kit import (
    CHROMIUM,
    CHROMIUM_ARGS,
    LOW_CONTRAST_JS,
    OVERFLOW_JS,
    PAGE_WEIGHT_LIMIT,
    SCREENSHOTS,
    UNLABELLED_JS,
    VIEWPORTS,
    Console,
    chromium_missing,
)
from ugen import service
from ugen.core.config import Settings
from ugen.core.schemas import JobOptions
from ugen.core.types import STAGES
from ugen.pipeline.outputs import CaptionsOutput, CompleteOutput, ConcatOutput
from ugen.store.api_keys import create_account
from ugen.views import JobPublic
from ugen.web import create_site

pytestmark = pytest.mark.skipif(chromium_missing() is not None,
                                reason=chromium_missing() or "")

EVIL = '<script>window.__pwned=1</script><img src=x onerror="window.__pwned=2">'
LIVE_TIMEOUT_MS = 240_000


@dataclass(frozen=True)
class Site:
    url: str
    settings: Settings
    owner: tuple[str, str]
    stranger: tuple[str, str]
    image: Path
    finished: dict[str, str]
    """Jobs made by the tests, by what they are (``completed``), for later tests."""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    root = tmp_path_factory.mktemp("dashboard")
    # The keyframes are the simulated provider's (the offline ones, without added latency),
    # so a test can make them fail for good by raising UGEN_SIMULATED_PERMANENT_RATE.
    with isolated_settings(root / "data", events_poll_interval_s="0.2",
                           video_poll_interval_s="0.1", keyframe_provider="simulated",
                           simulated_latency_scale="0") as settings:
        owner = create_account(settings, "Glow Labs", 5000)
        stranger = create_account(settings, "Other Shop", 1000)
        with running_server(create_site(settings, runtime_role="worker")) as url:
            yield Site(url, settings, owner, stranger, product_png(root / "serum.png"), {})


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def open_page(chromium: Any, site: Site) -> Iterator[Callable[..., tuple[Any, Console]]]:
    """Open a page in a fresh browser context, signed in as ``account`` when given."""
    contexts: list[Any] = []

    def make(account: tuple[str, str] | None = None, *, width: int = 1440, height: int = 900
             ) -> tuple[Any, Console]:
        context = chromium.new_context(viewport={"width": width, "height": height},
                                       base_url=site.url)
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = context.new_page()
        console = Console()
        console.attach(page)
        if account is not None:
            token = service.create_login_link(site.settings, account[0])
            page.goto(f"/login/link?token={token}")
            assert page.url == f"{site.url}/"
        return page, console

    yield make
    for context in contexts:
        context.close()


def _submit(settings: Settings, account_id: str, image: Path, **fields: Any) -> str:
    options = JobOptions.model_validate({"product_name": "Glow Serum",
                                         "video_model": "kling3_std", "segment_duration": 3,
                                         "segment_count": 1, "aspect_ratio": "1:1", **fields})
    return service.submit_job(settings, account_id=account_id, options=options, image=image).id


def _wait_ended(settings: Settings, job_id: str, timeout_s: float = 240) -> JobPublic:
    deadline = time.monotonic() + timeout_s
    while True:
        job = service.job_view(settings, job_id)
        if job.ended or time.monotonic() > deadline:
            return job
        time.sleep(0.2)


def test_sign_in_by_link_and_sign_out(open_page: Callable[..., Any], site: Site) -> None:
    from playwright.sync_api import expect

    token = service.create_login_link(site.settings, site.owner[0])
    page, console = open_page()
    page.goto(f"/login/link?token={token}")
    expect(page.get_by_role("heading", name="Your ads")).to_be_visible()
    expect(page.get_by_text("Glow Labs")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{site.url}/login")
    page.goto("/credits")
    assert page.url.startswith(f"{site.url}/login?next=")
    page.goto(f"/login/link?token={token}")  # used once already
    expect(page.get_by_role("alert")).to_contain_text("already used or has expired")
    assert console.errors == [] or all("400" in e for e in console.errors)


def test_sign_in_by_key_with_the_keyboard(open_page: Callable[..., Any], site: Site) -> None:
    from playwright.sync_api import expect

    page, console = open_page()
    page.goto("/login")
    key_field = page.get_by_label("API key")
    key_field.fill("ugen_sk_not-a-key")
    key_field.press("Enter")
    expect(page.locator("#err-api_key")).to_have_text("This key is unknown, revoked or expired.")
    page.get_by_label("API key").fill(site.owner[1])
    page.get_by_label("API key").press("Enter")
    page.wait_for_url(f"{site.url}/")
    main_nav = page.get_by_role("navigation", name="Main")
    expect(main_nav.get_by_role("link", name="New ad")).to_be_visible()
    assert [e for e in console.errors if "401" not in e] == []


WATCH_PIPELINE_JS = """() => {
  window.__sameDocument = true;
  window.__seen = [];
  const note = () => {
    const cur = document.querySelector('#pipeline .step.current .step-label');
    const done = document.querySelectorAll('#pipeline .step.st-completed').length;
    window.__seen.push([cur ? cur.textContent : null, done]);
  };
  note();
  new MutationObserver(note).observe(document.getElementById('pipeline'),
                                     {childList: true, subtree: true});
}"""


def test_create_an_ad_that_fails_at_a_stage_and_completes_after_a_retry(
        open_page: Callable[..., Any], site: Site, monkeypatch: pytest.MonkeyPatch) -> None:
    from playwright.sync_api import expect

    page, console = open_page(site.owner)
    page.goto("/new")
    page.get_by_label("Product image").set_input_files(str(site.image))
    expect(page.locator("#upload-status")).to_have_text("Uploaded: 512 × 512 px.")
    expect(page.get_by_alt_text("Preview of the product image")).to_be_visible()
    page.get_by_label("Product name").fill("Glow Serum")
    page.get_by_role("radio", name=re.compile(r"^Kling 3\.0 Standard")).check()
    page.get_by_label("Segments", exact=True).select_option("1")
    page.get_by_label("Seconds per segment").select_option("3")
    expect(page.get_by_label("Aspect ratio").locator("option")).to_have_count(4)  # Kling: 1:1
    page.get_by_label("Aspect ratio").select_option("1:1")  # the fewest pixels to render
    options = JobOptions.model_validate({"product_name": "x", "video_model": "kling3_std",
                                         "segment_count": 1, "segment_duration": 3,
                                         "aspect_ratio": "1:1"})
    total, _ = service.price_job(site.settings, site.owner[0], options)
    expect(page.locator("#estimate-total")).to_have_text(f"{total.total:,}")

    # Every keyframe request fails for good from now on: the job fails at ``init``.
    monkeypatch.setenv("UGEN_SIMULATED_PERMANENT_RATE", "1")
    page.get_by_role("button", name="Create ad").click()
    page.wait_for_url(re.compile(r"/jobs/[0-9a-f-]{36}$"))
    job_id = page.url.rsplit("/", 1)[1]
    page.evaluate("window.__sameDocument = true")
    expect(page.locator("#job-summary .badge")).to_have_text("Failed", timeout=LIVE_TIMEOUT_MS)
    assert page.evaluate("window.__sameDocument") is True  # seen live, without a reload
    expect(page.locator("#step-init")).to_contain_text("Failed")
    expect(page.locator("#pipeline .step.current #step-init")).to_have_count(1)
    error = page.locator("#init-error")
    expect(error).to_contain_text("keyframe 0 (anchor)")
    expect(error).to_contain_text("PROVIDER_ERROR")
    expect(error).to_contain_text("simulated keyframe: invalid request (400)")
    for stage in STAGES:
        if stage != "init":
            expect(page.locator(f"#{stage}-error")).to_have_count(0)
    expect(page.locator("#agents-head .badge")).to_have_text("Completed")
    expect(page.locator("#generation-head .badge")).to_have_text("Waiting")

    monkeypatch.delenv("UGEN_SIMULATED_PERMANENT_RATE")  # the fault is gone
    retry = page.get_by_role("button", name="Retry from Initialize")
    expect(retry).to_be_visible()
    retry.click()
    page.wait_for_url(re.compile(rf"/jobs/{job_id}$"))
    page.evaluate(WATCH_PIPELINE_JS)
    expect(page.locator("#job-summary .badge")).to_have_text("Completed",
                                                             timeout=LIVE_TIMEOUT_MS)
    assert page.evaluate("window.__sameDocument") is True  # no reload after the retry
    seen = page.evaluate("window.__seen")
    done_counts = [done for _, done in seen]
    assert done_counts == sorted(done_counts) and done_counts[-1] == 8
    assert len(set(done_counts)) >= 4, seen  # the stages were seen finishing one by one
    expect(page.locator("#pipeline .step-status")).to_have_text(["Completed"] * 8)
    for stage in STAGES:
        expect(page.locator(f"#{stage}-head .badge")).to_have_text("Completed")
    expect(page.locator("#init-error")).to_have_count(0)
    expect(page.locator("#job-summary")).to_contain_text("run 2")
    expect(page.locator("#event-lines")).to_contain_text("job_completed")
    assert console.errors == []
    site.finished["completed"] = job_id


@pytest.fixture(scope="module")
def finished_job(site: Site) -> str:
    """The module's completed job: the one the ad-making test made, else one made here."""
    found = site.finished.get("completed")
    if found is None:
        found = _submit(site.settings, site.owner[0], site.image)
        assert _wait_ended(site.settings, found).status == "completed"
        site.finished["completed"] = found
    return found


def test_every_stage_opens_its_details_and_the_media_play(
        open_page: Callable[..., Any], site: Site, finished_job: str) -> None:
    from playwright.sync_api import expect

    page, console = open_page(site.owner)
    page.goto(f"/jobs/{finished_job}")
    for stage in STAGES:  # click any stage to jump to its details below
        page.locator(f"#step-{stage}").click()
        expect(page.locator(f"#{stage}-details")).to_have_attribute("open", "")
        assert page.evaluate("location.hash") == f"#{stage}"
        assert page.evaluate("document.activeElement.id") == stage
        body = page.locator(f"#{stage}-body")
        expect(body).to_be_visible()
        expect(body.locator("[data-panel=pending]")).to_have_count(0)
    page.locator("#step-audio").focus()  # and with the keyboard
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "audio"

    stages = {st.name: st for st in service.job_stages(site.settings, finished_job)}
    expect(page.locator("#agents-body .script-lines tbody tr")).to_have_count(1)
    expect(page.locator("#generation-body .tl-row")).to_have_count(2)  # kf_01, seg_00
    expect(page.locator("#concat-body .join-plan tbody tr")).to_have_count(1)
    expect(page.locator("#audio-body")).to_contain_text("LUFS")
    captions = stages["captions"].outputs
    assert isinstance(captions, CaptionsOutput) and captions.words
    expect(page.locator("#captions-body .words li")).to_have_count(len(captions.words))

    pictures = page.locator("#init-body img, #generation-body img, #prepare-body img")
    expect(pictures).to_have_count(3)  # the product, the anchor and keyframe 1
    for i in range(pictures.count()):
        picture = pictures.nth(i)
        picture.scroll_into_view_if_needed()
        picture.evaluate("el => el.decode()")  # loaded and decodable (lazy until shown)
        assert picture.evaluate("el => el.naturalWidth") > 0

    final = stages["complete"].outputs
    assert isinstance(final, CompleteOutput)
    concat = stages["concat"].outputs
    assert isinstance(concat, ConcatOutput)
    for selector in ("#generation-body video.segment-video", "#final-video"):
        video = page.locator(selector)
        video.scroll_into_view_if_needed()
        assert video.evaluate("v => v.readyState") == 0  # nothing loaded before it is played
        video.evaluate("v => { v.muted = true; return v.play(); }")
        page.wait_for_function("s => document.querySelector(s).readyState >= 2", arg=selector)
    duration = page.locator("#final-video").evaluate("v => v.duration")
    assert abs(duration - final.duration_s) <= 2 / concat.plan.fps
    for player in ("#audio-body audio", "#concat-body audio"):
        for i in range(page.locator(player).count()):
            page.locator(player).nth(i).evaluate("a => { a.preload = 'metadata'; a.load(); }")
            page.wait_for_function("([s, i]) => document.querySelectorAll(s)[i].readyState >= 1",
                                   arg=[player, i])
    assert console.errors == []


def test_another_accounts_job_page_is_404(open_page: Callable[..., Any], site: Site) -> None:
    from playwright.sync_api import expect

    job_id = _submit(site.settings, site.owner[0], site.image, stop_at_stage="agents")
    page, _ = open_page(site.stranger)
    response = page.goto(f"/jobs/{job_id}")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    assert "Glow Serum" not in page.content()


def test_script_in_product_name_stays_text_and_csp_blocks_inline_script(
        open_page: Callable[..., Any], site: Site) -> None:
    from playwright.sync_api import expect

    job_id = _submit(site.settings, site.owner[0], site.image, product_name=EVIL,
                     stop_at_stage="agents")
    page, console = open_page(site.owner)
    page.goto(f"/jobs/{job_id}")
    expect(page.locator("#job-title")).to_have_text(EVIL)
    page.goto("/")
    expect(page.locator(f"#job-{job_id} .job-name")).to_have_text(EVIL)
    assert page.evaluate("window.__pwned") is None
    assert console.errors == []

    page.evaluate("""() => {
      window.__violations = [];
      document.addEventListener('securitypolicyviolation',
                                e => window.__violations.push(e.violatedDirective));
      const s = document.createElement('script');
      s.textContent = 'window.__inline = 1';
      document.body.appendChild(s);
    }""")
    page.wait_for_function("window.__violations.length > 0")
    assert page.evaluate("window.__inline") is None
    assert page.evaluate("window.__violations")[0].startswith("script-src")
    response = page.goto("/")
    assert response is not None
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]

    page.set_content(f'<iframe id="f" src="{site.url}/login" title="probe"></iframe>')
    page.wait_for_timeout(500)
    frame = page.frame_locator("#f")
    assert frame.locator("text=Sign in to U-Gen").count() == 0  # refused to be framed


OPEN_STAGES_JS = """async () => {
  document.getElementById('open-all').click();
  const pictures = [...document.querySelectorAll('img')];
  pictures.forEach(img => { img.loading = 'eager'; });
  await Promise.all(pictures.map(img => img.decode().catch(() => null)));
}"""


def test_every_page_at_both_sizes(open_page: Callable[..., Any], site: Site,
                                  finished_job: str) -> None:
    job_id = finished_job
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pages = {"jobs": "/", "new": "/new", "job": f"/jobs/{job_id}", "credits": "/credits",
             "settings": "/settings", "models": "/models", "login": "/login"}
    problems: list[str] = []
    for width, height in VIEWPORTS:
        page, console = open_page(site.owner, width=width, height=height)
        for name, path in pages.items():
            if name == "login":
                page.get_by_role("button", name="Sign out").click()
                page.wait_for_url(f"{site.url}/login")
            own: dict[str, int] = {}

            def count(response: Any, own: dict[str, int] = own) -> None:
                kind = response.request.resource_type
                if response.url.startswith(site.url) and kind in ("document", "stylesheet",
                                                                  "script"):
                    own[response.url] = len(response.body())

            page.on("response", count)
            page.goto(path, wait_until="load")
            page.remove_listener("response", count)
            if name == "job":  # its stages open, their pictures shown
                page.screenshot(path=str(SCREENSHOTS / f"job-top-{width}x{height}.png"))
                page.evaluate(OPEN_STAGES_JS)
            page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}x{height}.png"),
                            full_page=True)
            where = f"{name} at {width}x{height}"
            if sum(own.values()) >= PAGE_WEIGHT_LIMIT:
                problems.append(f"{where}: weighs {sum(own.values())} bytes")
            for label in page.evaluate(UNLABELLED_JS):
                problems.append(f"{where}: no accessible name: {label}")
            for text in page.evaluate(LOW_CONTRAST_JS):
                problems.append(f"{where}: low contrast {text}")
            if page.evaluate(OVERFLOW_JS) > 0:
                problems.append(f"{where}: wider than the screen")
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.className") != "skip":
                problems.append(f"{where}: the first Tab does not reach 'Skip to content'")
        problems.extend(f"console: {e}" for e in console.errors)
    assert problems == []
    assert len(list(SCREENSHOTS.glob("*.png"))) >= 2 * (len(pages) + 1)
