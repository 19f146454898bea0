"""The offline path passes its own QA: a reduced ``benchmarks/offline_qa_sweep.py``.

Real jobs (DBOS, the ``local`` providers, the pixel judges) on product pictures of every kind
and every video model, stopped after ``generation`` where QA ends: none may fail, none of
their pictures may be rejected, and every keyframe must show the whole product inside the
frame, measured on its pixels.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from benchmarks.offline_qa_sweep import MARGIN, JobSpec, measure_framing, run_jobs
from tests.utils.images import EXAMPLE_IMAGE
from ugen import catalog
from ugen.core.config import Settings
from ugen.pipeline.worker import start_worker
from ugen.providers.base import KeyframeRequest, KeyframeShot
from ugen.providers.local.keyframes import LocalKeyframeProvider, sidecar_path

PERSONAS = sorted(p.id for p in catalog.personas().values())

# (kind, model, aspect, interaction mode, persona): both video providers' timings (Veo's 8 s at
# 24 fps, Kling's 3 s at 30 fps; the offline renderer treats the models of one vendor alike),
# every Kling model, Kling's 1:1 and auto, every interaction mode, and the picture kinds that
# used to fail (flat, tall, wide, a photo on a busy backdrop, the smallest on white). The full
# sweep adds every model and aspect pairing and the other kinds.
JOBS = [
    ("example", "veo3_fast", "9:16", "holdable", PERSONAS[0]),
    ("flat_cutout", "kling3_std", "16:9", "holdable", PERSONAS[1]),
    ("small_photo", "kling3_4k", "1:1", "wearable", PERSONAS[2]),
    ("jpeg_scene", "kling3_std", "auto", "applied", None),
    ("tall_cutout", "kling3_pro", "1:1", "holdable", PERSONAS[3]),
    ("wide_cutout", "kling3_pro", "16:9", "display_static", None),
]


@pytest.mark.slow
def test_offline_jobs_pass_their_own_qa_with_the_whole_product_in_frame(
    settings: Settings, tmp_path: Path
) -> None:
    start_worker(settings)
    specs = [JobSpec(index=i, kind=kind, model=model, aspect=aspect, segments=1,
                     duration=3 if model.startswith("kling") else None, persona=persona,
                     mode=mode, seed=4200 + i, qai_mode="lenient")
             for i, (kind, model, aspect, mode, persona) in enumerate(JOBS)]
    results = run_jobs(settings, specs, tmp_path, at_once=len(specs))
    assert len(results) == len(JOBS)
    for result in results:
        what = f"{result.spec.kind} on {result.spec.model} {result.spec.aspect}"
        assert result.status == "stopped", f"{what}: {result.error}"
        assert result.verdicts >= 3, what  # anchor, second keyframe, segment
        assert result.rejections == (), f"{what}: {result.rejections}"
        assert len(result.framings) == 2, what
        for framing in result.framings:
            assert framing.in_frame, f"{what}: {framing}"


def test_framing_measure_sees_a_product_outside_or_missing(tmp_path: Path) -> None:
    """The sweep's measure fails when the product is not wholly where the frame shows it: a
    layout that puts it past the edge, or a picture without it."""
    persona = catalog.personas()[PERSONAS[0]]
    keyframe = LocalKeyframeProvider().generate_keyframe(KeyframeRequest(
        shot=KeyframeShot(0, "medium", "eye level", "friendly", "holding it at chest height",
                          ""),
        product_image=EXAMPLE_IMAGE, anchor=None, persona=persona, width=1080, height=1920,
        interaction_mode="holdable", environment_description=None, seed=3,
        out_path=tmp_path / "kf.png"))
    good = measure_framing(keyframe, EXAMPLE_IMAGE)
    assert good.in_frame and good.margin >= MARGIN and good.verified >= 0.75

    moved = tmp_path / "moved.png"
    shutil.copyfile(keyframe, moved)
    layout = json.loads(sidecar_path(keyframe).read_text())
    x0, y0, x1, y1 = layout["product_bbox"]
    shift = x0 + 0.4 * (x1 - x0)  # 40 % of the product past the left edge
    layout["product_bbox"] = [x0 - shift, y0, x1 - shift, y1]
    sidecar_path(moved).write_text(json.dumps(layout))
    outside = measure_framing(moved, EXAMPLE_IMAGE)
    assert not outside.in_frame and outside.margin < 0

    erased = tmp_path / "erased.png"
    with Image.open(keyframe) as img:
        picture = img.convert("RGB")
    wall = picture.getpixel((5, 5))
    assert isinstance(wall, tuple)
    picture.paste(wall, tuple(round(v) for v in (x0, y0, x1, y1)))
    picture.save(erased)
    shutil.copyfile(sidecar_path(keyframe), sidecar_path(erased))
    missing = measure_framing(erased, EXAMPLE_IMAGE)
    assert not missing.in_frame and missing.verified < 0.3
