"""Every catalog model runs through the local video provider under its own constraints."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.utils.jobs import output, path_of, submit, wait
from ugen import catalog
from ugen.core.config import Settings
from ugen.media.probe import probe
from ugen.pipeline.outputs import GenerationOutput
from ugen.pipeline.worker import start_worker


@pytest.mark.parametrize(
    ("model", "aspect", "duration", "size"),
    [
        ("veo3_fast", "16:9", 8, (1920, 1080)),
        ("veo3", "9:16", 8, (1080, 1920)),
        ("kling3_std", "1:1", 4, (1080, 1080)),
        ("kling3_pro", "9:16", 3, (1080, 1920)),
        ("kling3_4k", "1:1", 3, (1080, 1080)),
    ],
)
def test_generate_segment_respects_model_constraints(
    settings: Settings, product_image: Path, model: str, aspect: str, duration: int,
    size: tuple[int, int],
) -> None:
    start_worker(settings)
    job_id = submit(settings, product_image, video_model=model, aspect_ratio=aspect,
                    segment_count=1, segment_duration=duration, stop_at_stage="generation")
    view = wait(settings, job_id)
    assert view["status"] == "stopped", view["error_message"]
    outputs = output(settings, job_id, GenerationOutput)
    assert len(outputs.keyframes) == 1  # N+1 keyframes for N segments: the anchor and one
    info = probe(path_of(settings, outputs.segments[0].artifact), count_frames=True)
    fps = catalog.video_models()[model].fps
    assert info.video is not None and info.audio is not None
    assert (info.video.width, info.video.height) == size
    assert info.video.fps == fps
    assert info.video.frames == duration * fps
