"""``/uploads``: product images, checked by their content, stored under the account."""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path

from fastapi import APIRouter, Request, UploadFile

from ugen.api.deps import AccountDep, SettingsDep
from ugen.api.errors import ApiError
from ugen.api.schemas import ErrorPublic, UploadPublic, upload_id_of, upload_url
from ugen.core.config import Settings
from ugen.pipeline.prepare import ALLOWED_FORMATS, JobValidationError, check_product_image
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
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.work_dir) as tmp_dir:
        # The client's file name never becomes a path; the format comes from the content.
        tmp = Path(tmp_dir) / "upload"
        tmp.write_bytes(data)
        try:
            check = check_product_image(tmp, settings)
        except JobValidationError as err:
            raise ApiError(400, "UNSUPPORTED_IMAGE", err.message,
                           {"accepted": ["image/jpeg", "image/png", "image/webp",
                                         "image/gif"]}) from None
        upload_id = str(uuid.uuid4())
        key = f"uploads/{account}/{upload_id}.{ALLOWED_FORMATS[check.format]}"
        LocalArtifactStore(settings.artifacts_dir).put_file(key, tmp)
    return UploadPublic(upload_id=upload_id, url=upload_url(upload_id),
                        content_type=CONTENT_TYPES[check.format], width=check.width,
                        height=check.height, size_bytes=len(data))
