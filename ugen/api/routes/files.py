"""``/files``: job outputs behind expiring signed URLs (no API key: the signature is the key)."""

from __future__ import annotations

import mimetypes
from pathlib import PurePosixPath
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse

from ugen.api.deps import SettingsDep
from ugen.api.errors import ApiError
from ugen.api.schemas import ErrorPublic
from ugen.store import jobs as job_store
from ugen.store.artifacts import LocalArtifactStore
from ugen.store.db import session_scope
from ugen.store.signed_urls import SignedUrlError, file_path, verify

router = APIRouter(prefix="/files", tags=["files"],
                   responses={403: {"model": ErrorPublic}, 404: {"model": ErrorPublic}})


@router.get("/{job_id}/{name}", response_class=FileResponse,
            responses={200: {"content": {"video/mp4": {}, "image/jpeg": {}}}})
def download_file(job_id: str, name: str, settings: SettingsDep,
                  expires: Annotated[str | None, Query()] = None,
                  signature: Annotated[str | None, Query()] = None) -> FileResponse:
    """Download a job's video or poster through the signed URL its job view gave."""
    try:
        verify(settings, file_path(job_id, name), expires, signature)
    except SignedUrlError as err:
        code = "URL_EXPIRED" if err.reason == "expired" else "INVALID_SIGNATURE"
        raise ApiError(403, code, str(err), {"reason": err.reason}) from None
    with session_scope(settings) as s:
        job = job_store.get_job(s, job_id)
    # Only the job's own recorded outputs are served, whatever name was signed.
    keys = [k for k in (job.final_video, job.thumbnail) if k] if job else []
    key = next((k for k in keys if PurePosixPath(k).name == name), None)
    if job is None or job.status != "completed" or key is None:
        raise ApiError(404, "OUTPUT_NOT_FOUND", f"no file {name} of job {job_id}")
    path = LocalArtifactStore(settings.artifacts_dir).path(key)
    if not path.is_file():
        raise ApiError(404, "OUTPUT_NOT_FOUND", f"the file {name} of job {job_id} is gone")
    media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media_type)
