"""``/files``: job outputs behind expiring signed URLs (no API key: the signature is the key)."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import FileResponse, RedirectResponse, Response

from ugen import service
from ugen.api.deps import SettingsDep
from ugen.api.errors import ApiError
from ugen.api.schemas import ErrorPublic
from ugen.api.strict_json import StrictJsonRoute
from ugen.core.config import Settings
from ugen.store.artifacts import ArtifactKey, artifact_store
from ugen.store.signed_urls import SignedUrlError, file_path, verify

router = APIRouter(prefix="/files", tags=["files"],
                   responses={403: {"model": ErrorPublic}, 404: {"model": ErrorPublic}},
                   route_class=StrictJsonRoute)


# What a signed URL may serve, by extension: the job's media and its small text files.
SERVED_TYPES = {".mp4": "video/mp4", ".png": "image/png", ".jpg": "image/jpeg",
                ".jpeg": "image/jpeg", ".webp": "image/webp", ".gif": "image/gif",
                ".wav": "audio/wav", ".ass": "text/plain; charset=utf-8",
                ".json": "application/json"}


@router.get("/{job_id}/{name:path}", response_class=FileResponse,
            responses={200: {
                "description": "The file's bytes, sent with its own `Content-Type` (one of "
                               "those listed after `application/octet-stream`, which is first "
                               "so that client generators return the bytes).",
                "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in
                            ["application/octet-stream", *sorted(set(SERVED_TYPES.values()))]}}})
def download_file(job_id: str, name: str, settings: SettingsDep,
                  expires: Annotated[str | None, Query()] = None,
                  signature: Annotated[str | None, Query()] = None) -> Response:
    """Download one of a job's artifacts (its video, poster, keyframes, segments, audio,
    captions) through the signed URL its job view or stage view gave; ``Range`` is
    supported."""
    try:
        verify(settings, file_path(job_id, name), expires, signature)
    except SignedUrlError as err:
        code = "URL_EXPIRED" if err.reason == "expired" else "INVALID_SIGNATURE"
        raise ApiError(403, code, str(err), {"reason": err.reason}) from None
    media_type = SERVED_TYPES.get(PurePosixPath(name).suffix.lower())
    presigned = _presigned(settings, job_id, name) if media_type is not None else None
    if presigned is not None:  # S3 storage: the store serves the bytes (and Range) itself
        return RedirectResponse(presigned, status_code=307)
    try:
        path = service.artifact_path(settings, job_id, name)
    except (service.JobNotFoundError, ValueError):
        path = None
    if media_type is None or path is None or not path.is_file():
        raise ApiError(404, "OUTPUT_NOT_FOUND", f"no file {name} of job {job_id}")
    return FileResponse(path, media_type=media_type)


def _presigned(settings: Settings, job_id: str, name: str) -> str | None:
    """The store's own URL of an existing artifact, for an API URL signed before the store
    moved to S3 (None: local storage, or no such artifact)."""
    store = artifact_store(settings)
    try:
        key = ArtifactKey(f"{job_id}/{name}")
        store.key(job_id, name)  # refuses names that could leave the job
    except ValueError:
        return None
    url = store.presigned_url(key, settings.download_url_ttl_s,
                              filename=PurePosixPath(name).name)
    if url is None or not store.exists(key):
        return None
    return url
