"""Stage 1, ``agents``: the script agent writes the UGC script and plans the keyframes."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from dbos import DBOS

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


@DBOS.step()
def write_script_step(job_id: str, run_number: int) -> dict[str, Any]:
    """Write the script and keyframe plan; store them as ``script.json``."""
    ctx = JobContext(job_id, run_number)
    opts = ctx.options
    product = ctx.path(ctx.outputs("prepare")["product_image"])
    request = ScriptRequest(
        product_name=opts.product_name,
        product_image=product,
        persona=opts.resolved_persona(),
        segment_count=opts.segment_count,
        segment_duration=float(opts.effective_segment_duration),
        language=opts.language or "en",
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
    ctx.record_call("script", "script")
    key = ctx.key("script.json")
    with ctx.store.writing(key) as tmp:
        save_script(script, tmp)
    return {"script": key, "language": script.language, "lines": len(script.lines),
            "keyframes": len(script.keyframes)}


def run_agents(job_id: str, run_number: int) -> dict[str, Any]:
    return write_script_step(job_id, run_number)
