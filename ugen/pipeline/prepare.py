"""Stage 0, ``prepare``: validate the image and parameters, estimate, reserve, create the job.

It runs when a job is submitted, in one database transaction: a validation failure leaves no
job and moves no credits; a job the balance cannot cover is refused.
"""

from __future__ import annotations

import secrets
import uuid
import warnings
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError
from sqlalchemy.orm import Session

from ugen import catalog
from ugen.core.config import Settings
from ugen.core.estimate import Estimate, estimate
from ugen.core.schemas import JobOptions
from ugen.core.types import progress_at_stage_start
from ugen.pipeline.outputs import ImageInfo, PrepareOutput
from ugen.providers.video_router import video_output_problem
from ugen.store import jobs as job_store
from ugen.store import ledger
from ugen.store import templates as template_store
from ugen.store.artifacts import ArtifactKey, artifact_store
from ugen.store.db import session_scope
from ugen.store.limits import JobLimits, admit_job
from ugen.store.models import utcnow

ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}


class JobValidationError(ValueError):
    """A job parameter or the product image is not acceptable; ``field`` names which."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class ImageCheck:
    format: str
    width: int
    height: int
    has_alpha: bool


def check_product_image(path: Path, settings: Settings, *, decode: bool = True) -> ImageCheck:
    """Open the image for real and check format, size and pixel count.

    ``decode=False`` reads the header only (format, size, mode), for a stored upload whose
    pixels were decoded when it was uploaded (:func:`is_stored_upload`).

    Raises:
        JobValidationError: with field ``product_image``.
    """
    field = "product_image"
    if not path.is_file():
        raise JobValidationError(field, f"no such file: {path.name}")
    size = path.stat().st_size
    if size == 0:
        raise JobValidationError(field, "the file is empty")
    if size > settings.max_image_bytes:
        raise JobValidationError(field, f"the file is {size} bytes; the limit is "
                                        f"{settings.max_image_bytes}")
    max_pixels = int(settings.max_image_megapixels * 1_000_000)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as img:
                fmt = img.format or ""
                width, height = img.size
                if width * height > max_pixels:
                    raise JobValidationError(
                        field, f"{width}x{height} is {width * height / 1e6:.1f} megapixels; "
                               f"the limit is {settings.max_image_megapixels:g}")
                if decode:
                    img.load()
                has_alpha = img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info
    except (UnidentifiedImageError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as err:
        raise JobValidationError(field, f"not a readable image ({err})") from err
    except (OSError, SyntaxError, ValueError) as err:
        if isinstance(err, JobValidationError):
            raise
        raise JobValidationError(field, f"the image is corrupt ({err})") from err
    if fmt not in ALLOWED_FORMATS:
        raise JobValidationError(field, f"format {fmt or 'unknown'} is not accepted "
                                        "(JPEG, PNG, WebP, GIF)")
    if min(width, height) < settings.min_image_side:
        raise JobValidationError(field, f"{width}x{height} is too small; each side must be at "
                                        f"least {settings.min_image_side} px")
    return ImageCheck(fmt, width, height, has_alpha)


def with_fresh_choices(options: JobOptions) -> JobOptions:
    """The options with what the user left to chance decided now and kept on the job: a
    random ``seed`` and, without ``persona_id``, a random persona (as the product documents).
    A retry reads them back, so it replays the same choices."""
    update: dict[str, object] = {}
    if options.seed is None:
        update["seed"] = secrets.randbelow(2**31)
    if options.persona_id is None:
        update["persona_id"] = secrets.choice(sorted(catalog.personas()))
    return options.model_copy(update=update) if update else options


def is_stored_upload(settings: Settings, account_id: str, image: Path) -> bool:
    """``image`` is one of the account's uploads kept in a local store: its pixels were
    decoded and checked when it was uploaded (``ugen.service.uploads``), and it is never
    rewritten."""
    local = artifact_store(settings).local_path(ArtifactKey(f"uploads/{account_id}/{image.name}"))
    return local is not None and local == image


@dataclass(frozen=True)
class PreparedJob:
    """A job just created: its row and stage rows as written, and its estimate."""

    job: job_store.NewJob
    stages: tuple[job_store.NewStage, ...]
    estimate: Estimate

    @property
    def id(self) -> str:
        return self.job.id


def prepare_job(
    settings: Settings, *, account_id: str, options: JobOptions, image: Path,
    job_id: str | None = None, limits: JobLimits | None = None, template_id: str | None = None,
    workflow_id: str | None = None, idempotency: tuple[str, str] | None = None,
    inputs: Callable[[str], None] | None = None,
    queue: Callable[[Session, str], None] | None = None,
) -> PreparedJob:
    """Validate, price, store the image, reserve credits and create the job (``queued``).

    With ``limits``, the account's job limits are checked in the same transaction; with
    ``template_id`` (the template ``options`` were made from), its use is counted in it.
    ``workflow_id``: the id its first run will be queued under, kept on the job;
    ``idempotency``: the client's ``(idempotency_key, request hash)``, kept on the job (an
    account's key names one job: a second raises ``IntegrityError``, nothing written);
    ``inputs(job_id)``: stores more of the job's files beside the image (before the
    transaction); ``queue(session, job_id)``: queues its run in the same transaction, so a
    job exists exactly when its run is queued.

    The transaction writes the job, its stage records (``prepare`` done) and its event
    first, and takes the locks last: the template's use count, then the account row
    (the limit check where a limit applies, and the credit reservation), so concurrent
    creations of one account wait for each other only for those statements and the
    commit. The job's files are stored before the transaction and removed again when the
    job is refused.

    Raises:
        JobValidationError: bad image (parameters are validated by ``JobOptions``).
        JobLimitError: the account is at a job limit.
        ledger.InsufficientCreditsError: the account cannot cover the estimate.
    """
    check = check_product_image(image, settings,
                                decode=not is_stored_upload(settings, account_id, image))
    problem = video_output_problem(settings, options.video_model)  # e.g. 4K Veo, no bucket
    if problem is not None:
        raise JobValidationError("video_model", problem)
    options = with_fresh_choices(options)
    cost = estimate(options)
    job_id = job_id or str(uuid.uuid4())
    store = artifact_store(settings)
    image_key = store.key(job_id, f"input/product.{ALLOWED_FORMATS[check.format]}")
    now = utcnow()
    job = job_store.NewJob(
        id=job_id, account_id=account_id, status="queued", current_stage="prepare",
        progress_percent=progress_at_stage_start("agents"), run_number=1,
        params=options.model_dump(mode="json"), estimate=cost.to_dict(),
        credits_reserved=cost.total, credits_consumed=0, error_stage=None, error_message=None,
        final_video=None, thumbnail=None, created_at=now, started_at=None, finished_at=None,
        updated_at=now, idempotency_key=idempotency[0] if idempotency else None,
        workflow_id=workflow_id,
        request_hash=idempotency[1] if idempotency else None)
    try:
        store.put_file(image_key, image)
        if inputs is not None:
            inputs(job_id)
        with session_scope(settings) as s:
            stages = job_store.create_job(s, job, done={"prepare": {
                "status": "completed", "run_number": 1, "started_at": now,
                "finished_at": now, "credits_used": cost.by_stage()["prepare"],
                "outputs": PrepareOutput(
                    product_image=image_key, estimate_total=cost.total,
                    image=ImageInfo(format=check.format, width=check.width,
                                    height=check.height, has_alpha=check.has_alpha),
                ).model_dump(mode="json")}})
            job_store.add_event(s, job_id, "job_created", run_number=1, stage="prepare",
                                message=f"job created; {cost.total} credits reserved",
                                data={"estimate": cost.total,
                                      **({"template_id": template_id} if template_id else {})})
            if queue is not None:
                queue(s, job_id)  # a row nobody reads before the commit: no lock
            if template_id is not None:
                template_store.count_use(s, account_id, template_id)
            if limits is not None:
                admit_job(s, account_id, limits, created=job_id)
            ledger.reserve(s, account_id, job_id, cost.total, key=f"{job_id}:1:reserve",
                           description="job estimate")
    except BaseException:
        with suppress(OSError):
            store.delete_prefix(f"{job_id}/")  # no job: no files of one
        raise
    return PreparedJob(job=job, stages=stages, estimate=cost)
