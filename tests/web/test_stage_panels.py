"""The job page's stage details, drawn from the typed stage records: what each of the 8
stages made, a failed stage's error where it happened, the media as signed URLs, and the
live stream rendering a stage's parts again when its record changes."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from tests.web.conftest import Browser
from tests.web.seeded_jobs import REJECTED, seed_job
from ugen import service
from ugen.core.config import Settings
from ugen.core.types import STAGES
from ugen.pipeline.outputs import (
    AgentsOutput,
    AudioOutput,
    CaptionsOutput,
    ConcatOutput,
    GenerationOutput,
)
from ugen.store import items as item_store
from ugen.store import jobs as job_store
from ugen.store.db import session_scope
from ugen.store.signed_urls import verify
from ugen.web.app import STATIC_DIR
from ugen.web.job_parts import JobParts, RenderedDetails, read_job_page, state_token
from ugen.web.panels import timeline
from ugen.web.routes.streams import _poll_job, _Shown
from ugen.web.signing import MediaSigner
from ugen.web.templating import Templates

PAGE_WEIGHT_LIMIT = 150 * 1024


def body_of(page: str, stage: str) -> str:
    """The HTML of one stage's details."""
    start = page.index(f'<div id="{stage}-body"')
    return page[start:page.index("</details>\n</section>", start)]


def head_of(page: str, stage: str) -> str:
    start = page.index(f'<div id="{stage}-head">')
    return page[start:page.index(f'<details class="stage-details" id="{stage}-details">', start)]


def media_urls(fragment: str) -> list[str]:
    return [html.unescape(u) for u in re.findall(r'"(/api/v1/files/[^"]+)"', fragment)]


def test_completed_job_shows_what_every_stage_made(app_settings: Settings,
                                                   browser: Callable[..., Browser]) -> None:
    b = browser()
    job = seed_job(app_settings, b.account.account_id, segments=10, files=True)
    page = b.client.get(f"/jobs/{job.job_id}")
    assert page.status_code == 200
    text = page.text
    assert len(page.content) < PAGE_WEIGHT_LIMIT
    for stage in STAGES:  # every stage has its head and its details, closed until asked for
        assert f'<details class="stage-details" id="{stage}-details">' in text
        assert 'data-panel="pending"' not in body_of(text, stage), stage

    prepare = body_of(text, "prepare")
    assert "Brightens in two weeks" in prepare and "Tap the link" in prepare
    assert "Kling 3.0 Standard" in prepare and "1:1, 10 × 3 s" in prepare
    total = service.job_view(app_settings, job.job_id).estimate.total
    assert re.search(rf'Total</th><td class="num">{total:,}</td>', prepare)
    assert "PNG, 1024 × 1024 px, with transparency" in prepare

    agents = body_of(text, "agents")
    script = job.outputs["agents"]
    assert isinstance(script, AgentsOutput)
    for line in script.script.lines:
        assert html.escape(line.text) in agents
    assert agents.count('<td class="num">3.0 s</td>') == 10  # each line's timing target
    assert agents.count("Image prompt of keyframe") == 11  # the anchor and 10 keyframes
    assert "Slow push-in, shot 9" in agents

    init = body_of(text, "init")
    assert "kf_00.png" in init and "score <strong>0.95</strong> / 0.55" in init

    generation = body_of(text, "generation")
    gen = job.outputs["generation"]
    assert isinstance(gen, GenerationOutput)
    assert generation.count('class="segment-video" controls preload="none"') == 10
    assert generation.count('<img src="/api/v1/files/') == 10  # keyframes 1..10
    assert generation.count('class="tl-row tl-keyframe"') == 10
    assert generation.count('class="tl-row tl-segment"') == 10
    drawn = timeline(gen)
    assert drawn is not None and drawn.overlap_s > 0
    rejected = generation[generation.index(f'id="item-{REJECTED}"'):]
    rejected = rejected[:rejected.index("</li>")]
    assert "PRODUCT_INTEGRITY" in rejected and "unreadable" in rejected
    verdicts = re.findall(r'<span class="outcome">(\w+)</span> <span class="score">([\d.]+) /',
                          rejected)
    assert verdicts == [("Failed", "0.41"), ("Passed", "0.91")]  # each attempt's verdict

    concat = body_of(text, "concat")
    plan = job.outputs["concat"]
    assert isinstance(plan, ConcatOutput)
    assert concat.count("<tr>") == 1 + 10  # the header and one row per segment
    assert concat.count("crossfade over 4 frames") == 3
    assert concat.count("1 frame (0.03 s)") == 9
    assert f"{plan.plan.frame_count} frames" in concat and "9 duplicated boundary frames" in concat

    audio = body_of(text, "audio")
    sound = job.outputs["audio"]
    assert isinstance(sound, AudioOutput)
    assert "audio/voice.wav" in audio and "audio/mix.wav" in audio
    assert "-14.1 LUFS" in audio and "-1.4 dBTP" in audio and "5.2 LU" in audio
    assert audio.count("the segment&#39;s own speech") == 9

    captions = body_of(text, "captions")
    words = job.outputs["captions"]
    assert isinstance(words, CaptionsOutput)
    assert "<strong>en</strong>" in captions and "<strong>pocketsphinx</strong>" in captions
    assert captions.count('<span class="word">') == len(words.words)
    assert '<span class="muted">0.31–0.59</span>' in captions

    complete = body_of(text, "complete")
    assert 'id="final-video"' in complete and 'preload="none"' in complete
    assert "final.mp4" in complete and "poster.jpg" in complete and "Download MP4" in complete
    assert "No webhook delivery is recorded for this job" in complete
    assert ("C2PA: made by a trained algorithm (U-Gen/0.1.0), signed with this installation&#39;s"
            " own certificate, which readers show as untrusted") in complete

    for url in media_urls(text):  # every medium is a valid signed URL
        parts = urlsplit(url)
        query = parse_qs(parts.query)
        verify(app_settings, parts.path, query["expires"][0], query["signature"][0])
    anchor = next(u for u in media_urls(init) if "kf_00.png" in u)
    got = b.client.get(anchor)
    assert got.status_code == 200 and got.headers["content-type"] == "image/png"


def test_webhook_deliveries_of_the_job_are_listed(app_settings: Settings,
                                                  browser: Callable[..., Browser]) -> None:
    b = browser()
    job = seed_job(app_settings, b.account.account_id, segments=1, webhook=True)
    complete = body_of(b.client.get(f"/jobs/{job.job_id}").text, "complete")
    rows = re.findall(r"<tr><td><code>job.completed</code></td><td>(\d)</td>", complete)
    assert sorted(rows) == ["1", "2"]
    assert "the receiver answered 503" in complete and "dl-delivered" in complete
    other = seed_job(app_settings, b.account.account_id, segments=1)
    page = b.client.get(f"/jobs/{other.job_id}").text
    assert "No webhook delivery is recorded" in body_of(page, "complete")


def test_failed_stage_shows_its_error_where_it_happened(app_settings: Settings,
                                                       browser: Callable[..., Browser]) -> None:
    b = browser()
    job = seed_job(app_settings, b.account.account_id, segments=2, fail_at="init")
    text = b.client.get(f"/jobs/{job.job_id}").text
    init = head_of(text, "init")
    assert 'role="alert" id="init-error"' in init
    assert "Refused by the provider&#39;s content policy" in init
    assert '<span class="error-item">keyframe 0 (anchor)</span>' in init
    assert '<code class="error-code">CONTENT_POLICY</code>' in init
    assert "keyframe 0 (anchor): refused by the provider&#39;s content policy" in init
    credits = next(r.credits for r in service.job_view(app_settings, job.job_id).retry_from
                   if r.from_stage == "init")
    assert 'id="retry-init">Retry from Initialize</button>' in init
    assert f"reserves {credits:,} credits" in init
    for stage in STAGES:
        if stage != "init":
            assert "stage-error" not in head_of(text, stage), stage
    assert "This stage failed before it finished" in body_of(text, "init")
    assert "once this stage has run" in body_of(text, "generation")
    r = b.client.post(f"/jobs/{job.job_id}/retry", data={"csrf_token": b.csrf,
                                                         "from_stage": "init"},
                      follow_redirects=False)
    assert r.status_code == 303
    again = service.job_view(app_settings, job.job_id)
    assert again.run_number == 2 and again.status == "queued"


def test_job_list_shows_each_job_from_the_one_view(app_settings: Settings,
                                                  browser: Callable[..., Browser]) -> None:
    b = browser()
    done = seed_job(app_settings, b.account.account_id, segments=1, product_name="Done serum")
    failed = seed_job(app_settings, b.account.account_id, segments=1, fail_at="init",
                      product_name="Failed serum")
    first = b.client.get("/").text
    row = first[first.index(f'id="job-{done.job_id}"'):]
    assert "Done serum" in row and "Kling 3.0 Standard" in row
    assert f'<img src="/api/v1/files/{done.job_id}/poster.jpg?expires=' in row
    bad = first[first.index(f'id="job-{failed.job_id}"'):]
    assert "at Initialize" in bad[:bad.index("</li>")]
    assert b.client.get("/").text == first  # the same page, posters included, while unchanged


def _poller(settings: Settings, b: Browser, job_id: str
            ) -> Callable[[_Shown, int], dict[str, str]]:
    templates, signer = Templates(STATIC_DIR), MediaSigner(settings)
    rendered = RenderedDetails()  # shared by the polls, as the app shares it
    token = b.client.cookies.get("ugen_session") or ""

    def poll(shown: _Shown, after_id: int) -> dict[str, str]:
        found = _poll_job(settings, lambda csrf: JobParts(templates, signer, csrf, rendered),
                          token, b.account.account_id, job_id, after_id, shown)
        assert found is not None
        return found.parts

    return poll


def test_live_stream_renders_a_stage_again_when_it_changes(
        app_settings: Settings, browser: Callable[..., Browser]) -> None:
    b = browser()
    job = seed_job(app_settings, b.account.account_id, segments=2)
    with session_scope(app_settings) as s:  # as it was while ``complete`` ran
        job_store.set_job_fields(s, job.job_id, only_if_active=False, status="running",
                                 current_stage="complete", progress_percent=88,
                                 finished_at=None)
        job_store.set_stage(s, job.job_id, "complete", status="running", outputs={},
                            finished_at=None, credits_used=0)
    page = read_job_page(app_settings, b.account.account_id, job.job_id)
    last = service.job_events(app_settings, b.account.account_id, job.job_id)[-1].id
    poll = _poller(app_settings, b, job.job_id)
    shown = _Shown(token=state_token(page.job))
    assert poll(shown, last) == {}  # the page shows this state: nothing to send
    assert set(poll(_Shown(token="0" * 16), last)) == {  # a page of another state: all
        "job-summary", "pipeline", *(f"{s}-{p}" for s in STAGES for p in ("head", "body"))}

    with session_scope(app_settings) as s:
        job_store.set_stage(s, job.job_id, "complete", status="completed",
                            outputs=job.outputs["complete"].model_dump(mode="json"),
                            finished_at=page.job.started_at, credits_used=10)
        job_store.set_job_fields(s, job.job_id, only_if_active=False, status="completed",
                                 progress_percent=100)
    parts = poll(shown, last)
    assert set(parts) == {"job-summary", "pipeline", "complete-head", "complete-body"}
    assert 'id="final-video"' in parts["complete-body"] and "Completed" in parts["complete-head"]
    assert "Download MP4" in parts["job-summary"]
    assert poll(shown, last) == {}

    with session_scope(app_settings) as s:  # an event of one stage: that stage's parts
        job_store.add_event(s, job.job_id, "warning", run_number=1, stage="audio",
                            message="the music was quieter than asked")
    assert set(poll(shown, last)) == {"audio-head", "audio-body"}

    before = poll(_Shown(), last)["generation-body"]
    with session_scope(app_settings) as s:  # a new attempt: the stage's details change
        item_store.record_attempt(s, job.job_id, item_store.ItemAttempt(
            stage="generation", item="seg_01", run_number=1, attempt=1,
            artifact=f"{job.job_id}/segments/seg_01.a1.mp4", sha256="2" * 64, inputs="x",
            verdict={"score": 0.2, "passed": False, "threshold": 0.55,
                     "categories": ["MOTION_ARTIFACT"], "reasons": ["the hand jumps"]}))
    after = poll(_Shown(), last)["generation-body"]
    assert "the hand jumps" in after and "the hand jumps" not in before


def test_running_generation_shows_what_it_made_so_far(app_settings: Settings,
                                                      browser: Callable[..., Browser]) -> None:
    b = browser()
    job = seed_job(app_settings, b.account.account_id, segments=3)
    with session_scope(app_settings) as s:  # as it was while ``generation`` ran
        job_store.set_job_fields(s, job.job_id, only_if_active=False, status="running",
                                 current_stage="generation", finished_at=None)
        for stage in STAGES[3:]:
            job_store.set_stage(s, job.job_id, stage, status="pending", outputs={},
                                started_at=None, finished_at=None, credits_used=0)
        job_store.set_stage(s, job.job_id, "generation", status="running")
    text = b.client.get(f"/jobs/{job.job_id}").text
    generation = body_of(text, "generation")
    assert "Made so far" in generation
    assert generation.count('<li class="item-card" id="item-kf_') == 3
    assert generation.count('<li class="item-card" id="item-seg_') == 3
    assert f"{REJECTED}.a0.png" in generation  # the rejected attempt is listed with its file
    assert "PRODUCT_INTEGRITY" in generation
    assert '<a id="step-generation" href="#generation" aria-current="step">' in text
    assert "once this stage has run" in body_of(text, "concat")
