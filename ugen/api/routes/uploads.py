"""``/uploads``: product images, checked by their content, stored under the account.

A job's ``product_image_url`` is an upload (``ugen://uploads/<id>``) or an http(s) URL that
is fetched safely (:mod:`ugen.net`) and then kept like an upload.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

from fastapi import APIRouter, Request, UploadFile

from ugen.api.deps import AccountDep, SettingsDep
from ugen.api.errors import ApiError, field_error
from ugen.api.schemas import ErrorPublic, UploadPublic, upload_id_of, upload_url
from ugen.core.config import Settings
from ugen.net import FetchError, FetchLimits, any_address, fetch_image, is_public_address
from ugen.pipeline.prepare import (
    ALLOWED_FORMATS,
    ImageCheck,
    JobValidationError,
    check_product_image,
)
from ugen.store.artifacts import LocalArtifactStore

router = APIRouter(prefix="/uploads", tags=["uploads"])

CONTENT_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp",
                 "GIF": "image/gif"}
_CHUNK = 1024 * 1024


def _read_limited(file: UploadFile, limit: int) -> bytes:
    """The upload's bytes, or 413 once it passes ``limit``."""
    parts: list[bytes] = []
    size = 0
    while chunk := file.file.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "FILE_TOO_LARGE",
                           f"the file is larger than the limit of {limit} bytes",
                           {"limit_bytes": limit})
        parts.append(chunk)
    return b"".join(parts)


def _store_upload(settings: Settings, account_id: str, data: bytes) -> tuple[str, ImageCheck]:
    """Check an image by its content and keep it as an upload of the account.

    Raises:
        JobValidationError: (field ``product_image``) not an acceptable image.
    """
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.work_dir) as tmp_dir:
        # The client's file name never becomes a path; the format comes from the content.
        tmp = Path(tmp_dir) / "upload"
        tmp.write_bytes(data)
        check = check_product_image(tmp, settings)
        upload_id = str(uuid.uuid4())
        key = f"uploads/{account_id}/{upload_id}.{ALLOWED_FORMATS[check.format]}"
        LocalArtifactStore(settings.artifacts_dir).put_file(key, tmp)
    return upload_id, check


def fetch_product_image(settings: Settings, account_id: str, url: str) -> Path:
    """Fetch an http(s) ``product_image_url`` safely and keep it like an upload.

    Raises:
        RequestValidationError: 422 naming ``product_image_url``, with the reason (a
            :class:`ugen.net.FetchError` reason, or ``invalid_image``).
    """
    allow = any_address if settings.allow_private_urls else is_public_address
    limits = FetchLimits(max_bytes=settings.max_image_bytes,
                         timeout_s=settings.image_fetch_timeout_s,
                         max_redirects=settings.image_fetch_max_redirects)
    try:
        fetched = fetch_image(url, limits=limits, allow=allow)
    except FetchError as err:
        raise field_error("product_image_url", f"could not be fetched: {err}", url,
                          reason=err.reason) from err
    try:
        upload_id, _ = _store_upload(settings, account_id, fetched.data)
    except JobValidationError as err:
        raise field_error("product_image_url", f"is not an acceptable image: {err.message}",
                          url, reason="invalid_image") from err
    return resolve_upload(settings, account_id, upload_url(upload_id))


def product_image_path(settings: Settings, account_id: str, url: str) -> Path:
    """The local file of a ``product_image_url``: an upload, or an http(s) URL fetched now."""
    if upload_id_of(url) is not None:
        return resolve_upload(settings, account_id, url)
    return fetch_product_image(settings, account_id, url)


def resolve_upload(settings: Settings, account_id: str, url: str) -> Path:
    """The stored file of an upload of this account.

    Raises:
        JobValidationError: (field ``product_image_url``) no such upload for the account.
    """
    upload_id = upload_id_of(url)
    folder = LocalArtifactStore(settings.artifacts_dir).path(f"uploads/{account_id}")
    found = sorted(folder.glob(f"{upload_id}.*")) if upload_id and folder.is_dir() else []
    if not found:
        raise JobValidationError("product_image_url", f"no upload {url} in this account")
    return found[0]


@router.post("/product-image", status_code=201,
             responses={400: {"model": ErrorPublic}, 401: {"model": ErrorPublic},
                        413: {"model": ErrorPublic}})
def upload_product_image(file: UploadFile, request: Request, settings: SettingsDep,
                         account: AccountDep) -> UploadPublic:
    """Upload a product image (JPEG, PNG, WebP or GIF, at most 10 MB) for a job."""
    limit: int = request.app.state.max_upload_bytes
    data = _read_limited(file, limit)
    if not data:
        raise ApiError(400, "EMPTY_FILE", "the uploaded file is empty")
    try:
        upload_id, check = _store_upload(settings, account, data)
    except JobValidationError as err:
        raise ApiError(400, "UNSUPPORTED_IMAGE", err.message,
                       {"accepted": ["image/jpeg", "image/png", "image/webp",
                                     "image/gif"]}) from None
    return UploadPublic(upload_id=upload_id, url=upload_url(upload_id),
                        content_type=CONTENT_TYPES[check.format], width=check.width,
                        height=check.height, size_bytes=len(data))
