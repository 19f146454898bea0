"""Commands on jobs: run, submit, worker, show, jobs, retry, cancel, delete."""

from __future__ import annotations

import inspect
import json
import os
import shutil
import signal
import time
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ugen import service
from ugen.cli._app import app, console, err_console, fail, fitted_table, invalid, job_options
from ugen.core import logs
from ugen.core.config import Settings, get_settings
from ugen.core.schemas import JobOptions
from ugen.core.types import STAGES, TERMINAL_STATUSES
from ugen.pipeline import runtime
from ugen.pipeline.prepare import JobValidationError
from ugen.store import ledger
from ugen.views import JobPublic

# Options shared by `run` and `submit`, named after the job fields.
ProductName = Annotated[str | None, typer.Option("--product-name", help="Product name (default: the image's file name).")]
SellingPoints = Annotated[list[str] | None, typer.Option("--key-selling-points", help="A selling point; repeat for more.")]
CtaText = Annotated[str | None, typer.Option("--cta-text", help="Call to action.")]
PersonaOpt = Annotated[str | None, typer.Option("--persona", help="Persona id or name (see `ugen personas`).")]
VoiceOpt = Annotated[str | None, typer.Option("--voice", help="Voice id (default: the persona's voice).")]
ModelOpt = Annotated[str, typer.Option("--video-model", help="veo3_fast, veo3, kling3_std, kling3_pro, kling3_4k.")]
AspectOpt = Annotated[str, typer.Option("--aspect-ratio", help="9:16, 16:9, 1:1 (Kling only) or auto.")]
CountOpt = Annotated[int, typer.Option("--segment-count", help="Video segments, 1-10.")]
DurationOpt = Annotated[int | None, typer.Option("--segment-duration", help="Seconds per segment (Veo: 8; Kling: 3-10).")]
ModeOpt = Annotated[str, typer.Option("--interaction-mode", help="holdable, display_static, wearable, applied.")]
EnvOpt = Annotated[str | None, typer.Option("--environment-description", help="Where the ad is set.")]
StructureOpt = Annotated[str, typer.Option("--script-structure")]
ToneOpt = Annotated[str, typer.Option("--script-tone")]
ScriptFileOpt = Annotated[Path | None, typer.Option("--script-file", help="Your own script (custom_script), used as written.")]
LanguageOpt = Annotated[str | None, typer.Option("--language", help="Language code (default: detected, else en).")]
CaptionOpt = Annotated[str, typer.Option("--caption-style", help="tiktok_karaoke, word_pop, boxed_highlight.")]
MusicOpt = Annotated[bool, typer.Option("--music/--no-music")]
MoodOpt = Annotated[str, typer.Option("--music-mood")]
VolumeOpt = Annotated[float, typer.Option("--music-volume")]
QaiOpt = Annotated[str, typer.Option("--qai-mode", help="lenient, standard, strict.")]
StopOpt = Annotated[str | None, typer.Option("--stop-at-stage", help="End the job after this stage.")]
SeedOpt = Annotated[int | None, typer.Option("--seed", help="Seed of every random choice (default: a fresh one, kept on the job).")]
ImageArg = Annotated[Path, typer.Argument(help="The product image (JPEG, PNG, WebP, GIF).")]
TemplateOpt = Annotated[str | None, typer.Option("--template-id", help="Take this template's config for every option not given here (see `ugen templates`).")]
# Command-line options whose job field has another name.
_FIELD_OF = {"persona": "persona_id", "voice": "voice_settings", "music": "music_enabled",
             "script_file": "custom_script"}


def _build(image: Path, *, product_name: str | None, key_selling_points: list[str] | None,
           cta_text: str | None, persona: str | None, voice: str | None, video_model: str,
           aspect_ratio: str, segment_count: int, segment_duration: int | None,
           interaction_mode: str, environment_description: str | None, script_structure: str,
           script_tone: str, script_file: Path | None, language: str | None,
           caption_style: str, music: bool, music_mood: str, music_volume: float,
           qai_mode: str, stop_at_stage: str | None, seed: int | None,
           template_id: str | None = None, ctx: typer.Context | None = None) -> JobOptions:
    custom_script = None
    if script_file is not None:
        try:
            custom_script = script_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            fail(f"--script-file: cannot read {script_file}: {err}", 2)
    fields: dict[str, Any] = dict(
        product_name=product_name or image.stem.replace("-", " ").replace("_", " ").title(),
        key_selling_points=key_selling_points or None, cta_text=cta_text,
        persona_id=persona, voice_settings={"voice_id": voice} if voice else None,
        video_model=video_model, aspect_ratio=aspect_ratio, segment_count=segment_count,
        segment_duration=segment_duration, interaction_mode=interaction_mode,
        environment_description=environment_description, script_structure=script_structure,
        script_tone=script_tone, custom_script=custom_script, language=language,
        caption_style=caption_style, music_enabled=music, music_mood=music_mood,
        music_volume=music_volume, qai_mode=qai_mode, stop_at_stage=stop_at_stage, seed=seed,
    )
    if template_id is None or ctx is None:
        return job_options(**fields)
    return _templated(ctx, template_id, fields)


def _source(ctx: typer.Context, name: str) -> str:
    source = ctx.get_parameter_source(name)
    return "" if source is None else source.name


def _templated(ctx: typer.Context, template_id: str, fields: dict[str, Any]) -> JobOptions:
    """The template's config under the options given on the command line (and the name)."""
    given = {_FIELD_OF.get(name, name) for name in ctx.params
             if _source(ctx, name) not in ("DEFAULT", "")}
    own = {k: v for k, v in fields.items()
           if v is not None and (k in given or k == "product_name")}
    settings = get_settings()
    account = service.ensure_default_account(settings)
    try:
        return service.options_with_template(settings, account, template_id, own)
    except service.TemplateNotFoundError:
        fail(f"no template {template_id} (see `ugen templates`)", 2)
    except ValidationError as err:
        invalid(err)


def _submit(settings: Settings, options: JobOptions, image: Path,
            template_id: str | None = None) -> str:
    account = service.ensure_default_account(settings)
    try:
        return service.submit_job(settings, account_id=account, options=options, image=image,
                                  template_id=template_id).id
    except service.TemplateNotFoundError:
        fail(f"no template {template_id} (see `ugen templates`)", 2)
    except JobValidationError as err:
        fail(f"invalid {err.field}: {err.message}", 2)
    except ledger.InsufficientCreditsError as err:
        fail(f"insufficient credits: {err.required} required, {err.available} available "
             "(see `ugen credits`)", 3)


def _watch(settings: Settings, job_id: str) -> JobPublic:
    """Live per-stage progress until the job ends."""
    with Progress(TextColumn("{task.description:<12}"), BarColumn(),
                  TextColumn("{task.percentage:>3.0f}%"), TextColumn("{task.fields[state]}"),
                  TimeElapsedColumn(), console=console, transient=False) as bars:
        overall = bars.add_task("[bold]job", total=100, state="queued")
        rows = {st: bars.add_task(st, total=1, state="pending") for st in STAGES}
        while True:
            view = service.job_view(settings, job_id)
            bars.update(overall, completed=view.progress_percent, state=view.status)
            for st in view.stages:
                done = st.status in ("completed", "skipped")
                label = st.status + (f" {st.duration_s:.1f}s" if st.duration_s else "")
                bars.update(rows[st.name], completed=1 if done else 0, state=label)
            if view.status in TERMINAL_STATUSES:
                return view
            time.sleep(0.25)


@app.command()
def run(ctx: typer.Context, image: ImageArg,
        out: Annotated[Path | None, typer.Option("--out", help="Copy the finished MP4 here.")] = None,
        product_name: ProductName = None, key_selling_points: SellingPoints = None,
        cta_text: CtaText = None, persona: PersonaOpt = None, voice: VoiceOpt = None,
        video_model: ModelOpt = "veo3_fast", aspect_ratio: AspectOpt = "9:16",
        segment_count: CountOpt = 3, segment_duration: DurationOpt = None,
        interaction_mode: ModeOpt = "holdable", environment_description: EnvOpt = None,
        script_structure: StructureOpt = "standard_5phase",
        script_tone: ToneOpt = "conversational", script_file: ScriptFileOpt = None,
        language: LanguageOpt = None, caption_style: CaptionOpt = "tiktok_karaoke",
        music: MusicOpt = True, music_mood: MoodOpt = "upbeat", music_volume: VolumeOpt = 0.15,
        qai_mode: QaiOpt = "lenient", stop_at_stage: StopOpt = None, seed: SeedOpt = None,
        template_id: TemplateOpt = None) -> None:
    """Make a video ad from IMAGE now, showing each stage's progress."""
    options = _build(image, product_name=product_name, key_selling_points=key_selling_points,
                     cta_text=cta_text, persona=persona, voice=voice, video_model=video_model,
                     aspect_ratio=aspect_ratio, segment_count=segment_count,
                     segment_duration=segment_duration, interaction_mode=interaction_mode,
                     environment_description=environment_description,
                     script_structure=script_structure, script_tone=script_tone,
                     script_file=script_file, language=language, caption_style=caption_style,
                     music=music, music_mood=music_mood, music_volume=music_volume,
                     qai_mode=qai_mode, stop_at_stage=stop_at_stage, seed=seed,
                     template_id=template_id, ctx=ctx)
    settings = get_settings()
    from ugen.pipeline.worker import start_worker

    start_worker(settings)
    job_id = _submit(settings, options, image, template_id)
    try:
        console.print(f"job [bold]{job_id}[/]")
        view = _watch(settings, job_id)
    except KeyboardInterrupt:
        runtime.stop()
        fail(f"interrupted; job {job_id} is kept and continues when a worker runs "
             "(`ugen worker`), or cancel it with `ugen cancel`", 130)
    # The workflow threads record their outcome before DBOS shuts down.
    runtime.stop(drain_s=30.0)
    if view.status == "completed":
        # The video itself, on this machine (with S3: fetched into the cache).
        final = str(service.job_output_file(settings, job_id, "video"))
        if out is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(final, out)
            final = str(out)
        console.print(f"[green]completed[/] {final}")
        print(final)
    elif view.status == "stopped":
        console.print(f"[yellow]stopped[/] after {view.params.get('stop_at_stage')}; "
                      f"continue with `ugen retry {job_id}`")
    else:
        _failed(view)


def _failed(view: JobPublic) -> NoReturn:
    """One clear line: the job, the stage, the item and the reason; then what to do."""
    stage = view.error_stage
    reason = str(view.error_message or view.status).removeprefix(f"{stage} failed: ")
    where = f" in {stage}" if stage else ""
    err_console.print(f"[bold red]error:[/] job {view.job_id} {view.status}{where}: {reason}",
                      soft_wrap=True)
    if view.status == "failed":
        err_console.print(f"retry it with `ugen retry {view.job_id}`; the log is "
                          f"{logs.log_file(get_settings().data_dir)}", soft_wrap=True)
    raise typer.Exit(1)


def submit(image: Path, **fields: Any) -> None:
    """Queue a job for the workers and print its id."""
    options = _build(image, **fields)
    settings = get_settings()
    job_id = _submit(settings, options, image, fields.get("template_id"))
    runtime.stop()
    print(job_id)


# `submit` takes exactly the options of `run` except --out.
_submit_params = [p for p in inspect.signature(run, eval_str=True).parameters.values()
                  if p.name != "out"]
submit.__signature__ = inspect.Signature(_submit_params, return_annotation=None)  # type: ignore[attr-defined]
app.command()(submit)


@app.command()
def worker(
    queue: Annotated[list[str] | None, typer.Option("--queue", help="Only take work from these queues.")] = None,
    executor_id: Annotated[str | None, typer.Option("--executor-id", help="Stable worker identity (UGEN_EXECUTOR_ID).")] = None,
    metrics_port: Annotated[int | None, typer.Option("--metrics-port", min=1, max=65535, help="Serve Prometheus metrics of this worker at http://ADDR:PORT/metrics.")] = None,
    metrics_addr: Annotated[str, typer.Option("--metrics-addr", help="Address the metrics server listens on.")] = "0.0.0.0",
) -> None:
    """Run queued jobs until stopped (any number of workers may share one database).

    SIGTERM or Ctrl-C: stop taking work, give running jobs UGEN_SHUTDOWN_GRACE_S to end, then
    exit 0; a job still running is handed back and resumes on another worker.
    """
    settings = get_settings()
    if executor_id:
        settings = settings.model_copy(update={"executor_id": executor_id})
    from ugen.pipeline.queues import queue_names
    from ugen.pipeline.worker import shutdown_worker, start_worker

    names = None
    if queue:
        try:
            names = queue_names(settings, queue)
        except ValueError as exc:
            fail(str(exc), 2)
    stop = {"now": False}

    def _stop(*_: object) -> None:
        stop["now"] = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    if metrics_port is not None:
        from prometheus_client import start_http_server

        from ugen.store.status_metrics import metrics_registry

        try:
            start_http_server(metrics_port, addr=metrics_addr,
                              registry=metrics_registry(settings))
        except OSError as err:
            fail(f"--metrics-port {metrics_port}: {err}", 2)
    beat = start_worker(settings, queues=names)
    where = f"; metrics on :{metrics_port}/metrics" if metrics_port else ""
    err_console.print(f"worker {beat.executor_id} ready (Ctrl-C to stop){where}")
    while not stop["now"]:
        time.sleep(0.2)
    err_console.print(f"worker {beat.executor_id} stopping (up to "
                      f"{settings.shutdown_grace_s:g} s for running jobs)")
    if not shutdown_worker(settings, beat):
        err_console.print(f"worker {beat.executor_id}: unfinished jobs handed back")
        logs.unconfigure()  # flush the log file: the process ends without the usual exit
        os._exit(0)


JobArg = Annotated[str, typer.Argument(help="The job id.")]


@app.command()
def show(job: JobArg, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """A job's status, stages with what they made, QA verdicts, usage, error and credits."""
    settings = get_settings()
    try:
        report = service.job_report(settings, job)
    except service.JobNotFoundError:
        fail(f"no job {job}")
    if as_json:
        print(report.model_dump_json(indent=2))
        return
    view = report.job
    console.print(f"[bold]{view.job_id}[/]  {view.params.get('product_name')}  "
                  f"({view.params.get('video_model')})")
    console.print(f"status [bold]{view.status}[/]  stage {view.current_stage}  "
                  f"progress {view.progress_percent}%  run {view.run_number}")
    table = Table("stage", "status", "run", "time", "credits", "made / error")
    for st in report.stages:
        made = "" if st.outputs is None else ", ".join(
            name for name in type(st.outputs).model_fields if name != "output_version")
        detail = st.error.message if st.error else made
        table.add_row(st.name, st.status, str(st.run_number),
                      f"{st.duration_s:.2f}s" if st.duration_s else "", str(st.credits_used),
                      detail)
    console.print(table)
    attempts = [a for st in report.stages for a in st.attempts]
    if attempts:
        qt = Table("item", "run", "attempt", "QA score", "passed", "categories / reused")
        for a in attempts:
            qt.add_row(a.item, str(a.run_number), str(a.attempt),
                       f"{a.score:.2f} / {a.threshold:.2f}", "yes" if a.passed else "no",
                       "reused" if a.reused else ", ".join(a.categories))
        console.print(qt)
    if report.usage:
        ut = Table("capability", "estimated", "actual", "unit", "calls", "providers")
        for capability, u in report.usage.items():
            est = "" if u["estimated_units"] is None else f"{u['estimated_units']:g}"
            ut.add_row(capability, est, f"{u['units']:g}", u["unit"], str(u["calls"]),
                       ", ".join(u["providers"]))
        console.print(ut)
    console.print(f"credits: estimate {view.estimate.total}, reserved "
                  f"{view.credits_reserved}, consumed {view.credits_consumed}")
    # With S3 the video is not fetched to be shown: its key and presigned URL say where.
    if report.final_video_path:
        console.print(f"video: {report.final_video_path}")
    elif report.final_video_key:
        console.print(f"video: {report.final_video_key}  {view.final_video_url or ''}",
                      soft_wrap=True)
    if view.error_message:
        console.print(f"[red]error:[/] {view.error_message}")


@app.command()
def jobs(status: Annotated[str | None, typer.Option("--status")] = None,
         page: Annotated[int, typer.Option("--page", min=1)] = 1,
         page_size: Annotated[int, typer.Option("--page-size", min=1, max=100)] = 20) -> None:
    """List jobs, newest first."""
    settings = get_settings()
    account = service.ensure_default_account(settings)
    rows, total = service.list_job_views(settings, account, status=status, page=page,
                                         page_size=page_size)
    if not rows:
        console.print("no jobs" + (f" with status {status}" if status else "") +
                      "; make your first ad with `ugen run IMAGE`")
        return
    wide = console.width >= 100  # the product name matters more than the time
    table = fitted_table(("job_id", 36), ("status", 9), ("stage", 10), ("%", 3),
                          *([("created", 11)] if wide else []), ("product", 0))
    for j in rows:
        created = [j.created_at.strftime("%m-%d %H:%M")] if wide else []
        # ``awaiting_review`` in the 9 columns the statuses share.
        status = "review" if j.status == "awaiting_review" else j.status
        table.add_row(j.job_id, status, j.current_stage or "", str(j.progress_percent),
                      *created, str(j.params.get("product_name", "")))
    console.print(table)
    pages = max(1, -(-total // page_size))
    console.print(f"{total} job(s), page {page} of {pages}")


@app.command()
def retry(job: JobArg,
          from_stage: Annotated[str | None, typer.Option("--from", help="Stage to restart from.")] = None,
          qai_mode: Annotated[str | None, typer.Option("--qai-mode", help="Another QA mode from this run on (lenient, standard, strict).")] = None,
          max_retries_keyframe: Annotated[int | None, typer.Option("--max-retries-keyframe", min=0, max=5)] = None,
          max_retries_video: Annotated[int | None, typer.Option("--max-retries-video", min=0, max=5)] = None) -> None:
    """Retry a failed, stopped or cancelled job from a stage (what still passes QA is reused)."""
    settings = get_settings()
    try:
        result = service.retry_job(settings, job, from_stage, qai_mode=qai_mode,
                                   max_retries_keyframe=max_retries_keyframe,
                                   max_retries_video=max_retries_video)
    except service.JobNotFoundError:
        fail(f"no job {job}")
    except (service.JobStateError, ValueError) as err:
        fail(str(err), 2)
    except ledger.InsufficientCreditsError as err:
        fail(f"insufficient credits: {err.required} required, {err.available} available", 3)
    finally:
        runtime.stop()
    console.print(f"retrying from {result['from_stage']} (run {result['run_number']}, "
                  f"{result['credits_reserved']} credits reserved)")


@app.command()
def cancel(job: JobArg) -> None:
    """Cancel a queued or running job; unused credits are released."""
    settings = get_settings()
    try:
        service.cancel_job(settings, job)
    except service.JobNotFoundError:
        fail(f"no job {job}")
    except service.JobStateError as err:
        fail(str(err), 2)
    finally:
        runtime.stop()
    console.print(f"cancelled {job}")


@app.command()
def delete(job: JobArg, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Delete a finished job and its files (its credit transactions stay in the ledger)."""
    settings = get_settings()
    try:
        deleted = service.delete_job(settings, job)
    except service.JobNotFoundError:
        fail(f"no job {job}")
    except service.JobActiveError as err:
        fail(str(err), 2)
    if as_json:
        print(json.dumps({"job_id": job, "bytes_freed": deleted.bytes_freed,
                          "artifacts_left": deleted.artifacts_left}))
        return
    note = " (some artifacts are left for `ugen admin gc`)" if deleted.artifacts_left else ""
    console.print(f"deleted {job}: {deleted.bytes_freed} bytes freed{note}")
