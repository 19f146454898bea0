"""What the stage panels compute (the overlap timeline, item names) and the dashboard's
signed media URLs, which stay the same for a while and stay valid."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from ugen.core.config import Settings
from ugen.pipeline.outputs import GenerationOutput, ItemRecord, SegmentRecord
from ugen.qa.base import QaVerdict
from ugen.store.artifacts import ArtifactKey
from ugen.store.signed_urls import SignedUrlError, sign_artifact, verify
from ugen.web.panels import TRACK, item_label, overlap_s, timeline
from ugen.web.signing import MediaSigner

T0 = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)
QA = QaVerdict(score=0.9, passed=True, threshold=0.55)


def _record(cls: type[ItemRecord], item: str, start: float | None, end: float | None
            ) -> ItemRecord:
    return cls(item=item, index=int(item[-2:]), artifact=ArtifactKey(f"j/{item}"), qa=QA,
               attempts=1, started_at=T0 + timedelta(seconds=start) if start is not None
               else None, finished_at=T0 + timedelta(seconds=end) if end is not None else None)


def test_overlap_counts_time_both_kinds_run_at_once() -> None:
    assert overlap_s([(0, 4), (2, 6)], [(5, 9)]) == 1  # keyframes 0..6, segments 5..9
    assert overlap_s([(0, 2)], [(2, 5)]) == 0
    assert overlap_s([(0, 10)], [(1, 2), (1.5, 3), (8, 12)]) == 4
    assert overlap_s([], [(0, 1)]) == 0


def test_timeline_places_items_on_one_axis() -> None:
    output = GenerationOutput(
        keyframes=(_record(ItemRecord, "kf_01", 0, 6), _record(ItemRecord, "kf_02", 6, 12),
                   _record(ItemRecord, "kf_03", None, None)),  # reused: not made in this run
        segments=(_record(SegmentRecord, "seg_00", 6.5, 26),
                  _record(SegmentRecord, "seg_01", 12.5, 40)))  # type: ignore[arg-type]
    drawn = timeline(output)
    assert drawn is not None
    assert [b.item for b in drawn.bars] == ["kf_01", "kf_02", "seg_00", "seg_01"]
    assert drawn.span_s == 40
    assert drawn.bars[0].x == 0 and drawn.bars[-1].x + drawn.bars[-1].width == TRACK
    assert drawn.bars[2].x == pytest.approx(6.5 / 40 * TRACK, abs=0.1)
    assert drawn.overlap_s == pytest.approx(5.5)  # seg_00 ran while kf_02 was made
    assert drawn.first_segment_s == 6.5 and drawn.last_keyframe_s == 12
    assert timeline(GenerationOutput(keyframes=(), segments=())) is None


@pytest.mark.parametrize(("item", "label"), [("kf_00", "Keyframe 0 (anchor)"),
                                             ("kf_07", "Keyframe 7"), ("seg_00", "Segment 0"),
                                             ("seg_12", "Segment 12"), ("script", "script"),
                                             ("kf_x", "kf_x")])
def test_item_labels_follow_the_api_numbering(item: str, label: str) -> None:
    assert item_label(item) == label


def _check(settings: Settings, url: str, now: float | None = None) -> None:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    verify(settings, parts.path, query["expires"][0], query["signature"][0], now=now)


def test_signed_media_urls_stay_the_same_within_a_step(settings: Settings) -> None:
    clock = [1_800_000_000.0]
    signer = MediaSigner(settings, clock=lambda: clock[0])
    assert signer.step_s == 3600  # a day's URLs: an hour's step
    first = signer.url("job", "job/keyframes/kf_01.png")
    assert first.startswith("/api/v1/files/job/keyframes/kf_01.png?expires=")
    clock[0] += 1000
    assert signer.url("job", "job/keyframes/kf_01.png") == first
    expires = int(parse_qs(urlsplit(first).query)["expires"][0])
    assert expires - clock[0] >= settings.download_url_ttl_s * 0.75
    _check(settings, first, now=clock[0])
    clock[0] += 3600
    later = signer.url("job", "job/keyframes/kf_01.png")
    assert later != first
    _check(settings, later, now=clock[0])
    fresh = sign_artifact(settings, "job", "job/poster.jpg")
    assert signer.again(fresh) == signer.url("job", "job/poster.jpg")
    assert signer.again(None) is None
    with pytest.raises(ValueError):
        signer.again("/elsewhere")


def test_short_lived_urls_use_a_shorter_step(settings: Settings) -> None:
    short = settings.model_copy(update={"download_url_ttl_s": 60})
    clock = [1_800_000_000.0]
    signer = MediaSigner(short, clock=lambda: clock[0])
    assert signer.step_s == 15
    url = signer.url("job", "job/final.mp4")
    clock[0] += 14
    _check(short, url, now=clock[0])
    with pytest.raises(SignedUrlError):
        _check(short, url, now=clock[0] + 60)
