"""The job's language: requested, detected from the user's script, or a warned fallback."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from tests.utils.jobs import output, path_of, submit, wait
from ugen.core.config import Settings
from ugen.pipeline.outputs import AgentsOutput, AudioOutput, CaptionsOutput
from ugen.pipeline.worker import start_worker
from ugen.store.db import session_scope
from ugen.store.models import JobEvent


def test_language_detected_from_custom_script(settings: Settings, product_image: Path) -> None:
    start_worker(settings)
    spanish = ("Sinceramente, este sérum cambió mi piel en dos semanas. "
               "Es ligero, huele increíble y no deja la piel grasosa.")
    job_id = submit(settings, product_image, custom_script=spanish, stop_at_stage="agents")
    view = wait(settings, job_id)
    assert view["status"] == "stopped", view["error_message"]
    out = output(settings, job_id, AgentsOutput)
    assert out.language == "es"
    assert out.language_choice.source == "detected"


def test_uncertain_language_falls_back_with_warning(settings: Settings,
                                                    product_image: Path) -> None:
    start_worker(settings)
    job_id = submit(settings, product_image, custom_script="OK OK 100% !!!", segment_count=1,
                    stop_at_stage="agents")
    view = wait(settings, job_id)
    assert view["status"] == "stopped", view["error_message"]
    out = output(settings, job_id, AgentsOutput)
    assert out.language == "en" and out.language_choice.source == "fallback"
    with session_scope(settings) as s:
        warnings = s.scalars(select(JobEvent).where(JobEvent.job_id == job_id,
                                                    JobEvent.type == "warning")).all()
    assert len(warnings) == 1 and "uncertain" in warnings[0].message


def test_chinese_script_gets_segmented_caption_words(settings: Settings,
                                                     product_image: Path) -> None:
    import json

    start_worker(settings)
    script = "说真的，这款精华两周就改变了我的皮肤！"
    job_id = submit(settings, product_image, custom_script=script, segment_count=1,
                    segment_duration=8,
                    stop_at_stage="captions", music_enabled=False, aspect_ratio="1:1")
    view = wait(settings, job_id)
    assert view["status"] == "stopped", view["error_message"]
    assert output(settings, job_id, AgentsOutput).language == "zh"
    audio = output(settings, job_id, AudioOutput)
    data = json.loads(path_of(settings, audio.words_file).read_text("utf-8"))
    texts = [w["text"] for w in data["words"]]
    assert texts == [w.text for w in audio.words]
    assert "".join(texts) == script
    assert "精华" in texts and len(texts) >= 6
    starts = [w["start"] for w in data["words"]]
    assert starts == sorted(starts)
    captions = output(settings, job_id, CaptionsOutput)
    assert captions.alignment == "speech-activity"  # aligned to the voice track
    assert len(captions.words) == len(texts)
    assert captions.subtitles is not None
    ass = path_of(settings, captions.subtitles).read_text("utf-8")
    assert "Noto Sans CJK SC" in ass
