"""Stage 1, ``agents``: the script agent writes the UGC script and plans the keyframes."""

from __future__ import annotations

from dbos import DBOS

from ugen.core.language import detect_language
from ugen.pipeline.context import JobContext
from ugen.pipeline.outputs import AgentsOutput, LanguageChoice, PrepareOutput, save_script
from ugen.providers.base import ScriptRequest
from ugen.providers.retry import call_with_retries, provider_vendor

DEFAULT_LANGUAGE = "en"


def choose_language(ctx: JobContext) -> tuple[str, LanguageChoice]:
    """The job's ``language``, else the one detected in the user's script.

    An uncertain detection falls back to the default language and leaves a warning on the
    job.
    """
    opts = ctx.options
    if opts.language is not None:
        return opts.language, LanguageChoice(source="requested")
    if opts.custom_script is None:
        return DEFAULT_LANGUAGE, LanguageChoice(source="default")
    found = detect_language(opts.custom_script)
    info = LanguageChoice(source="detected", detected=found.language,
                          confidence=found.confidence, certain=found.certain)
    if found.certain:
        return found.language, info
    ctx.event("warning", stage="agents", dedupe="language",
              message=f"language detection uncertain ({found.language}, confidence "
                      f"{found.confidence:.2f}); using {DEFAULT_LANGUAGE}; set `language` "
                      "to choose", data=info.model_dump())
    return DEFAULT_LANGUAGE, info.model_copy(update={"source": "fallback"})


@DBOS.step()
def write_script_step(job_id: str, run_number: int) -> AgentsOutput:
    """Write the script and keyframe plan; keep them as ``script.json`` too."""
    ctx = JobContext(job_id, run_number)
    opts = ctx.options
    language, language_info = choose_language(ctx)
    product = ctx.path(ctx.output(PrepareOutput).product_image)
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
        seed=opts.job_seed,
    )
    agent = ctx.providers.script_agent
    script = call_with_retries(lambda: agent.write_script(request),
                               vendor=provider_vendor(agent, ctx.providers.name))
    ctx.record_usage("script", "script", ctx.providers.script_agent, request.product_image)
    key = ctx.key("script.json")
    with ctx.store.writing(key) as tmp:
        save_script(script, tmp)
    return AgentsOutput(script_file=key, script=script, language_choice=language_info)


def run_agents(job_id: str, run_number: int) -> AgentsOutput:
    return write_script_step(job_id, run_number)
