"""The ``ugen`` command line: a thin layer over ``ugen.service`` (Typer + Rich)."""

from __future__ import annotations

import inspect
import json
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ugen import catalog, service
from ugen.core.config import Settings, get_settings
from ugen.core.estimate import estimate
from ugen.core.schemas import JobOptions
from ugen.core.types import STAGES, TERMINAL_STATUSES
from ugen.pipeline import runtime
from ugen.pipeline.prepare import JobValidationError
from ugen.store import ledger
from ugen.store.db import session_scope
from ugen.store.models import CreditTransaction

app = typer.Typer(help="U-Gen: one product image in, a finished UGC-style video ad out.",
                  no_args_is_help=True, add_completion=False)
console = Console()
err_console = Console(stderr=True)


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def _options(**fields: Any) -> JobOptions:
    """Build validated job options; on bad input print each field's problem and exit 2."""
    clean = {k: v for k, v in fields.items() if v is not None}
    try:
        return JobOptions.model_validate(clean)
    except ValidationError as err:
        for e in err.errors():
            where = ".".join(str(p) for p in e["loc"]) or "options"
            msg = str(e["msg"]).removeprefix("Value error, ")
            err_console.print(f"[bold red]invalid {where}:[/] {msg}")
        raise typer.Exit(2) from None


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
SeedOpt = Annotated[int, typer.Option("--seed")]
ImageArg = Annotated[Path, typer.Argument(help="The product image (JPEG, PNG, WebP, GIF).")]


def _build(image: Path, *, product_name: str | None, key_selling_points: list[str] | None,
           cta_text: str | None, persona: str | None, voice: str | None, video_model: str,
           aspect_ratio: str, segment_count: int, segment_duration: int | None,
           interaction_mode: str, environment_description: str | None, script_structure: str,
           script_tone: str, script_file: Path | None, language: str | None,
           caption_style: str, music: bool, music_mood: str, music_volume: float,
           qai_mode: str, stop_at_stage: str | None, seed: int) -> JobOptions:
    custom_script = None
    if script_file is not None:
        try:
            custom_script = script_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            fail(f"--script-file: cannot read {script_file}: {err}", 2)
    return _options(
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


def _submit(settings: Settings, options: JobOptions, image: Path) -> str:
    account = service.ensure_default_account(settings)
    try:
        return service.submit_job(settings, account_id=account, options=options, image=image)
    except JobValidationError as err:
        fail(f"invalid {err.field}: {err.message}", 2)
    except ledger.InsufficientCreditsError as err:
        fail(f"insufficient credits: {err.required} required, {err.available} available "
             "(see `ugen credits`)", 3)


def _watch(settings: Settings, job_id: str) -> dict[str, Any]:
    """Live per-stage progress until the job ends."""
    with Progress(TextColumn("{task.description:<12}"), BarColumn(),
                  TextColumn("{task.percentage:>3.0f}%"), TextColumn("{task.fields[state]}"),
                  TimeElapsedColumn(), console=console, transient=False) as bars:
        overall = bars.add_task("[bold]job", total=100, state="queued")
        rows = {st: bars.add_task(st, total=1, state="pending") for st in STAGES}
        while True:
            view = service.job_view(settings, job_id)
            bars.update(overall, completed=view["progress_percent"], state=view["status"])
            for st in view["stages"]:
                done = st["status"] in ("completed", "skipped")
                label = st["status"] + (f" {st['duration_s']:.1f}s" if st["duration_s"] else "")
                bars.update(rows[st["stage"]], completed=1 if done else 0, state=label)
            if view["status"] in TERMINAL_STATUSES:
                return view
            time.sleep(0.25)


@app.command()
def run(image: ImageArg,
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
        qai_mode: QaiOpt = "lenient", stop_at_stage: StopOpt = None, seed: SeedOpt = 0) -> None:
    """Make a video ad from IMAGE now, showing each stage's progress."""
    options = _build(image, product_name=product_name, key_selling_points=key_selling_points,
                     cta_text=cta_text, persona=persona, voice=voice, video_model=video_model,
                     aspect_ratio=aspect_ratio, segment_count=segment_count,
                     segment_duration=segment_duration, interaction_mode=interaction_mode,
                     environment_description=environment_description,
                     script_structure=script_structure, script_tone=script_tone,
                     script_file=script_file, language=language, caption_style=caption_style,
                     music=music, music_mood=music_mood, music_volume=music_volume,
                     qai_mode=qai_mode, stop_at_stage=stop_at_stage, seed=seed)
    settings = get_settings()
    from ugen.pipeline.worker import start_worker

    start_worker(settings)
    job_id = _submit(settings, options, image)
    console.print(f"job [bold]{job_id}[/]")
    view = _watch(settings, job_id)
    runtime.stop()
    if view["status"] == "completed":
        final = Path(view["final_video_path"])
        if out is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(final, out)
            final = out
        console.print(f"[green]completed[/] {final}")
        print(final)
    elif view["status"] == "stopped":
        console.print(f"[yellow]stopped[/] after {view['params'].get('stop_at_stage')}; "
                      f"continue with `ugen retry {job_id}`")
    else:
        fail(f"job {job_id} {view['status']}: {view['error_message'] or ''}")


def submit(image: Path, **fields: Any) -> None:
    """Queue a job for the workers and print its id."""
    options = _build(image, **fields)
    settings = get_settings()
    job_id = _submit(settings, options, image)
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
) -> None:
    """Run queued jobs until stopped (any number of workers may share one database)."""
    settings = get_settings()
    if executor_id:
        settings = settings.model_copy(update={"executor_id": executor_id})
    from ugen.pipeline.queues import queue_names
    from ugen.pipeline.worker import start_worker

    names = None
    if queue:
        try:
            names = queue_names(settings, queue)
        except ValueError as exc:
            fail(str(exc), 2)
    beat = start_worker(settings, queues=names)
    err_console.print(f"worker {beat.executor_id} ready (Ctrl-C to stop)")
    stop = {"now": False}

    def _stop(*_: object) -> None:
        stop["now"] = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    while not stop["now"]:
        time.sleep(0.2)
    runtime.stop()


JobArg = Annotated[str, typer.Argument(help="The job id.")]


def _stage_outputs(view: dict[str, Any], stage: str) -> dict[str, Any]:
    return next(s["outputs"] for s in view["stages"] if s["stage"] == stage) or {}


def _anchor_qa(view: dict[str, Any]) -> dict[str, Any] | None:
    out = _stage_outputs(view, "init")
    return {**out["qa"], "attempts": out.get("attempts", 1)} if out.get("qa") else None


@app.command()
def show(job: JobArg, as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """A job's status, stage, progress, stages, outputs, error and credits."""
    settings = get_settings()
    try:
        view = service.job_view(settings, job)
    except service.JobNotFoundError:
        fail(f"no job {job}")
    if as_json:
        view["usage"] = service.job_usage(settings, job)
        print(json.dumps(view, indent=2, default=str))
        return
    console.print(f"[bold]{view['job_id']}[/]  {view['product_name']}  ({view['video_model']})")
    console.print(f"status [bold]{view['status']}[/]  stage {view['current_stage']}  "
                  f"progress {view['progress_percent']}%  run {view['run_number']}")
    table = Table("stage", "status", "run", "time", "credits", "outputs / error")
    for st in view["stages"]:
        detail = st["error"] or ", ".join(f"{k}" for k in st["outputs"])
        table.add_row(st["stage"], st["status"], str(st["run_number"]),
                      f"{st['duration_s']:.2f}s" if st["duration_s"] else "",
                      str(st["credits_used"]), detail)
    console.print(table)
    qa = {**{"kf_00": _anchor_qa(view)}, **_stage_outputs(view, "generation").get("qa", {})}
    qa = {item: v for item, v in qa.items() if v}
    if qa:
        qt = Table("item", "QA score", "passed", "attempts", "categories")
        for item, v in qa.items():
            qt.add_row(item, f"{v['score']:.2f}", "yes" if v["passed"] else "no",
                       str(v.get("attempts", 1)), ", ".join(v["categories"]))
        console.print(qt)
    usage = service.job_usage(settings, job)
    if usage:
        ut = Table("capability", "estimated", "actual", "unit", "calls", "providers")
        for capability, u in usage.items():
            est = "" if u["estimated_units"] is None else f"{u['estimated_units']:g}"
            ut.add_row(capability, est, f"{u['units']:g}", u["unit"], str(u["calls"]),
                       ", ".join(u["providers"]))
        console.print(ut)
    console.print(f"credits: estimate {view['estimate']['total']}, reserved "
                  f"{view['credits_reserved']}, consumed {view['credits_consumed']}")
    if view["final_video_path"]:
        console.print(f"video: {view['final_video_path']}")
    if view["error_message"]:
        console.print(f"[red]error:[/] {view['error_message']}")


@app.command()
def jobs(status: Annotated[str | None, typer.Option("--status")] = None,
         page: Annotated[int, typer.Option("--page", min=1)] = 1,
         page_size: Annotated[int, typer.Option("--page-size", min=1, max=100)] = 20) -> None:
    """List jobs, newest first."""
    from ugen.store import jobs as job_store

    settings = get_settings()
    account = service.ensure_default_account(settings)
    with session_scope(settings) as s:
        rows, total = job_store.list_jobs(s, account, status=status, page=page,
                                          page_size=page_size)
    table = Table("job_id", "status", "stage", "progress", "product", "created")
    for j in rows:
        table.add_row(j.id, j.status, j.current_stage or "", f"{j.progress_percent}%",
                      str(j.params.get("product_name")), j.created_at.strftime("%Y-%m-%d %H:%M"))
    console.print(table)
    console.print(f"{total} job(s)")


@app.command()
def retry(job: JobArg,
          from_stage: Annotated[str | None, typer.Option("--from", help="Stage to restart from.")] = None) -> None:
    """Retry a failed, stopped or cancelled job from a stage."""
    settings = get_settings()
    try:
        result = service.retry_job(settings, job, from_stage)
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
def models(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """The video models with their capabilities and prices."""
    items = [m.model_dump() for m in catalog.video_models().values()]
    if as_json:
        print(json.dumps(items, indent=2))
        return
    table = Table("id", "name", "aspect ratios", "durations (s)", "resolution", "sound", "price")
    for m in catalog.video_models().values():
        durations = ", ".join(map(str, m.supported_durations))
        table.add_row(m.id, m.name, ", ".join(m.supported_aspect_ratios), durations,
                      m.resolution, "yes" if m.supports_sound else "no",
                      f"{m.credits_per_unit}/{m.pricing_unit}")
    console.print(table)


@app.command()
def doctor(
    check_network: Annotated[bool, typer.Option("--check-network", help="Make a cheap authenticated call to each vendor whose keys are present.")] = False,
    timeout: Annotated[float, typer.Option("--timeout", help="Seconds allowed per network check.")] = 5.0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Which provider serves each capability, whether its keys are present (never shown) and, with --check-network, whether the vendor accepts them."""
    from ugen.providers.doctor import diagnose

    reports = diagnose(get_settings(), check_network=check_network, timeout_s=timeout)
    if as_json:
        print(json.dumps([r.to_dict() for r in reports], indent=2))
    else:
        table = Table("capability", "provider", "keys", "network", "detail")
        for r in reports:
            table.add_row(r.capability, r.provider, r.keys, r.network, r.detail)
        console.print(table)
    if any(r.network in ("refused", "unreachable") for r in reports):
        raise typer.Exit(1)


@app.command()
def personas() -> None:
    """Personas (persona_id) and voices."""
    table = Table("persona_id", "name", "voice", "description")
    for p in catalog.personas().values():
        table.add_row(p.id, p.name, p.voice_id, p.description)
    console.print(table)
    vt = Table("voice_id", "name", "gender", "description")
    for v in catalog.voices().values():
        vt.add_row(v.id, v.name, v.gender, v.description)
    console.print(vt)


@app.command()
def credits(
    add: Annotated[int | None, typer.Option("--add", help="Purchase this many credits.")] = None,
    limit: Annotated[int, typer.Option("--limit")] = 15,
) -> None:
    """Balance, reserved and available credits, and the latest transactions."""
    from sqlalchemy import select

    settings = get_settings()
    account = service.ensure_default_account(settings)
    with session_scope(settings) as s:
        if add:
            ledger.grant(s, account, add, type_="purchase", description="purchase")
        bal = ledger.balance(s, account)
        rows = s.scalars(select(CreditTransaction)
                         .where(CreditTransaction.account_id == account)
                         .order_by(CreditTransaction.id.desc()).limit(limit)).all()
    console.print(f"credit_balance {bal.credit_balance}  credit_reserved {bal.credit_reserved}"
                  f"  available_credits {bal.available_credits}")
    table = Table("type", "amount", "balance_before", "balance_after", "job_id", "description")
    for t in rows:
        table.add_row(t.type, str(t.amount), str(t.balance_before), str(t.balance_after),
                      t.job_id or "", t.description)
    console.print(table)


@app.command(name="estimate")
def estimate_cmd(
    video_model: ModelOpt = "veo3_fast", segment_count: CountOpt = 3,
    segment_duration: DurationOpt = None, aspect_ratio: AspectOpt = "9:16",
    music: MusicOpt = True,
) -> None:
    """Credit estimate, one line per cost component."""
    opts = _options(product_name="estimate", video_model=video_model,
                    segment_count=segment_count, segment_duration=segment_duration,
                    aspect_ratio=aspect_ratio, music_enabled=music)
    cost = estimate(opts)
    table = Table("component", "stage", "quantity", "unit", "credits")
    for line in cost.lines:
        table.add_row(line.component, line.stage, f"{line.quantity:g}", line.unit,
                      str(line.credits))
    console.print(table)
    console.print(f"total {cost.total}")


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8000,
    no_worker: Annotated[bool, typer.Option("--no-worker", help="Only serve the API; separate `ugen worker` processes run the jobs.")] = False,
) -> None:
    """Serve the HTTP API (/api/v1, docs at /docs), with a worker unless --no-worker."""
    import uvicorn

    from ugen.api.main import create_app

    settings = get_settings()
    api = create_app(settings, runtime_role="client" if no_worker else "worker")
    uvicorn.run(api, host=host, port=port)


admin = typer.Typer(help="Accounts, API keys and credits of the HTTP API.", no_args_is_help=True)
app.add_typer(admin, name="admin")


@admin.command("create-account")
def admin_create_account(
    name: Annotated[str, typer.Argument(help="Unique account name.")],
    credits_: Annotated[int, typer.Option("--credits", min=0, help="Starter credits.")] = 0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create an account and its first API key (shown once)."""
    from ugen.store import api_keys
    from ugen.store.db import migrate

    settings = get_settings()
    migrate(settings)
    try:
        account_id, key = api_keys.create_account(settings, name, credits_)
    except api_keys.AccountExistsError as err:
        fail(str(err), 2)
    if as_json:
        print(json.dumps({"account_id": account_id, "api_key": key}))
        return
    console.print(f"account [bold]{account_id}[/] with {credits_} credits")
    console.print(f"API key (shown once): [bold]{key}[/]")


@admin.command("create-key")
def admin_create_key(
    account: Annotated[str, typer.Argument(help="The account id.")],
    name: Annotated[str, typer.Option("--name", help="A label for the key.")] = "",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Create another API key for an account (shown once)."""
    from ugen.store import api_keys
    from ugen.store.db import migrate

    settings = get_settings()
    migrate(settings)
    try:
        key = api_keys.create_api_key(settings, account, name=name)
    except api_keys.AccountNotFoundError:
        fail(f"no account {account}", 2)
    if as_json:
        print(json.dumps({"key_id": key.key_id, "api_key": key.api_key,
                          "key_prefix": key.key_prefix}))
        return
    console.print(f"key [bold]{key.key_id}[/] ({key.key_prefix})")
    console.print(f"API key (shown once): [bold]{key.api_key}[/]")


@admin.command("revoke-key")
def admin_revoke_key(key_id: Annotated[str, typer.Argument(help="The key id (key_...).")]) -> None:
    """Revoke an API key at once and for good."""
    from ugen.store import api_keys
    from ugen.store.db import migrate

    settings = get_settings()
    migrate(settings)
    try:
        api_keys.revoke_api_key(settings, key_id)
    except api_keys.ApiKeyNotFoundError:
        fail(f"no key {key_id}", 2)
    console.print(f"revoked {key_id}")


@admin.command("grant-credits")
def admin_grant_credits(
    account: Annotated[str, typer.Argument(help="The account id.")],
    amount: Annotated[int, typer.Argument(min=1, help="Credits to add (a purchase).")],
) -> None:
    """Add credits to an account."""
    from ugen.store import api_keys
    from ugen.store.db import migrate

    settings = get_settings()
    migrate(settings)
    try:
        bal = api_keys.grant_credits(settings, account, amount)
    except api_keys.AccountNotFoundError:
        fail(f"no account {account}", 2)
    console.print(f"{account}: credit_balance {bal.credit_balance}  available_credits "
                  f"{bal.available_credits}")


def main() -> None:  # pragma: no cover - console entry point
    sys.exit(app())


if __name__ == "__main__":  # pragma: no cover - `python -m ugen.cli`
    main()
