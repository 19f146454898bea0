"""``/uploads``: product images, checked by their content, stored under the account.

A job's ``product_image_url`` is an upload (``ugen://uploads/<id>``) or an http(s) URL that
is fetched safely (:mod:`ugen.net`) and then kept like an upload.

The upload's body is read by the route itself, after its API key was checked: a body
parameter would be read (and spooled) by the framework before any dependency runs. The
request guard (:mod:`ugen.api.guard`) refuses a body past the file limit plus the multipart
envelope while it streams in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from starlette.datastructures import UploadFile

from ugen import service
from ugen.api.deps import AccountDep, SettingsDep
from ugen.api.errors import ApiError, field_error
from ugen.api.schemas import ErrorPublic, UploadPublic, upload_id_of, upload_url
from ugen.api.strict_json import StrictJsonRoute
from ugen.core.config import Settings
from ugen.net import FetchError
from ugen.pipeline.prepare import (
    JobValidationError,
)
from ugen.service.uploads import IMAGE_TYPES

router = APIRouter(prefix="/uploads", tags=["uploads"], route_class=StrictJsonRoute)

_CHUNK = 1024 * 1024
# The body as generated clients need it: ``format: binary`` (OpenAPI 3.0's file, which client
# generators read) beside 3.1's ``contentMediaType``; and the 422 the route raises itself.
_FILE_BODY: dict[str, Any] = {
    "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"], "title": "ProductImageUpload",
        "properties": {"file": {"type": "string", "format": "binary",
                                "contentMediaType": "application/octet-stream", "title": "File",
                                "description": "JPEG, PNG, WebP or GIF, at most 10 MB."}}}}}},
    "responses": {"422": {"description": "Validation Error (no `file` part, or text in it)",
                          "content": {"application/json": {"schema": {
                              "$ref": "#/components/schemas/HTTPValidationError"}}}}}}


async def _read_limited(file: UploadFile, limit: int) -> bytes:
    """The upload's bytes, or 413 once it passes ``limit``."""
    parts: list[bytes] = []
    size = 0
    while chunk := await file.read(_CHUNK):
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "FILE_TOO_LARGE",
                           f"the file is larger than the limit of {limit} bytes",
                           {"limit_bytes": limit})
        parts.append(chunk)
    return b"".join(parts)


def fetch_product_image(settings: Settings, account_id: str, url: str) -> Path:
    """Fetch an http(s) ``product_image_url`` safely and keep it like an upload.

    Raises:
        RequestValidationError: 422 naming ``product_image_url``, with the reason (a
            :class:`ugen.net.FetchError` reason, or ``invalid_image``).
    """
    try:
        stored = service.fetch_product_image(settings, account_id, url)
    except FetchError as err:
        raise field_error("product_image_url", f"could not be fetched: {err}", url,
                          reason=err.reason) from err
    except JobValidationError as err:
        raise field_error("product_image_url", f"is not an acceptable image: {err.message}",
                          url, reason="invalid_image") from err
    return service.uploaded_image(settings, account_id, stored.upload_id)


def product_image_path(settings: Settings, account_id: str, url: str) -> Path:
    """The local file of a ``product_image_url``: an upload, or an http(s) URL fetched now.

    Raises:
        JobValidationError: (field ``product_image_url``) no such upload for the account.
    """
    upload_id = upload_id_of(url)
    if upload_id is not None:
        return service.uploaded_image(settings, account_id, upload_id,
                                      field="product_image_url")
    return fetch_product_image(settings, account_id, url)


def _file_error(kind: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"type": kind, "loc": ("body", "file"), "msg": message,
                                    "input": None}])


@router.post("/product-image", status_code=201, openapi_extra=_FILE_BODY,
             responses={400: {"model": ErrorPublic}, 401: {"model": ErrorPublic},
                        413: {"model": ErrorPublic}, 429: {"model": ErrorPublic}})
async def upload_product_image(request: Request, settings: SettingsDep,
                               account: AccountDep) -> UploadPublic:
    """Upload a product image (JPEG, PNG, WebP or GIF, at most 10 MB) for a job."""
    limit: int = request.app.state.max_upload_bytes
    async with request.form(max_files=1, max_fields=16) as form:
        file = form.get("file")
        if file is None:
            raise _file_error("missing", "Field required")
        if not isinstance(file, UploadFile):
            raise _file_error("value_error", "Value error, file must be a file, not text")
        data = await _read_limited(file, limit)
    if not data:
        raise ApiError(400, "EMPTY_FILE", "the uploaded file is empty")
    try:
        stored = await run_in_threadpool(service.save_product_image, settings, account, data)
    except JobValidationError as err:
        raise ApiError(400, "UNSUPPORTED_IMAGE", err.message,
                       {"accepted": sorted(set(IMAGE_TYPES.values()))}) from None
    return UploadPublic(upload_id=stored.upload_id, url=upload_url(stored.upload_id),
                        content_type=stored.content_type, width=stored.width,
                        height=stored.height, size_bytes=stored.size_bytes)
