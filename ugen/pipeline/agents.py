"""Stage 1, ``agents``: the script agent writes the UGC script and plans the keyframes."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from dbos import DBOS

from ugen.core.language import detect_language
from ugen.pipeline.context import JobContext
from ugen.providers.base import KeyframeShot, Script, ScriptLine, ScriptRequest
from ugen.providers.retry import call_with_retries


def save_script(script: Script, path: Path) -> None:
    path.write_text(json.dumps(asdict(script), ensure_ascii=False, indent=2), encoding="utf-8")


def load_script(path: Path) -> Script:
    data = json.loads(path.read_text(encoding="utf-8"))
    return Script(
        lines=tuple(ScriptLine(**line) for line in data["lines"]),
        keyframes=tuple(KeyframeShot(**shot) for shot in data["keyframes"]),
        language=data["language"],
        segment_prompts=tuple(data["segment_prompts"]),
    )


DEFAULT_LANGUAGE = "en"


def choose_language(ctx: JobContext) -> tuple[str, dict[str, Any]]:
    """The job's ``language``, else the one detected in the user's script.

    An uncertain detection falls back to the default language and leaves a warning on the
    job.
    """
    opts = ctx.options
    if opts.language is not None:
        return opts.language, {"source": "requested"}
    if opts.custom_script is None:
        return DEFAULT_LANGUAGE, {"source": "default"}
    found = detect_language(opts.custom_script)
    info = {"source": "detected", "detected": found.language, "confidence": found.confidence,
            "certain": found.certain}
    if found.certain:
        return found.language, info
    ctx.event("warning", stage="agents", dedupe="language",
              message=f"language detection uncertain ({found.language}, confidence "
                      f"{found.confidence:.2f}); using {DEFAULT_LANGUAGE}; set `language` "
                      "to choose", data=info)
    return DEFAULT_LANGUAGE, {**info, "source": "fallback"}


@DBOS.step()
def write_script_step(job_id: str, run_number: int) -> dict[str, Any]:
    """Write the script and keyframe plan; store them as ``script.json``."""
    ctx = JobContext(job_id, run_number)
    opts = ctx.options
    language, language_info = choose_language(ctx)
    product = ctx.path(ctx.outputs("prepare")["product_image"])
    request = ScriptRequest(
        product_name=opts.product_name,
        product_image=product,
        persona=opts.resolved_persona(),
        segment_count=opts.segment_count,
        segment_duration=float(opts.effective_segment_duration),
        language=language,
        interaction_mode=opts.interaction_mode,
        script_structure=opts.script_structure,
        script_tone=opts.script_tone,
        key_selling_points=tuple(opts.key_selling_points),
        cta_text=opts.cta_text,
        environment_description=opts.environment_description,
        custom_script=opts.custom_script,
        seed=opts.seed,
    )
    script = call_with_retries(lambda: ctx.providers.script_agent.write_script(request))
    ctx.record_usage("script", "script", ctx.providers.script_agent, request.product_image)
    key = ctx.key("script.json")
    with ctx.store.writing(key) as tmp:
        save_script(script, tmp)
    return {"script": key, "language": script.language, "language_choice": language_info,
            "lines": len(script.lines), "keyframes": len(script.keyframes)}


def run_agents(job_id: str, run_number: int) -> dict[str, Any]:
    return write_script_step(job_id, run_number)
