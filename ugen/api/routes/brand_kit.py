"""``/tenants/me``: the account's profile, avatar and brand kit (logo and watermark settings);
``/brand-files``: those pictures behind expiring signed URLs.

The uploads are read by the route itself, after the API key was checked, and refused with 413
as soon as they pass :data:`MAX_BRAND_FILE_BYTES` while they stream in (the request guard
bounds the whole body before that: :func:`ugen.api.main.body_limits`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile

from ugen.api.brand_schemas import AvatarPublic, BrandKitPublic, BrandKitSettingsIn, TenantPublic
from ugen.api.deps import AccountDep, SettingsDep
from ugen.api.errors import ApiError
from ugen.api.schemas import ErrorPublic
from ugen.api.strict_json import StrictJsonRoute
from ugen.media.watermark import WatermarkSpec
from ugen.service import brand_kit
from ugen.store.artifacts import ArtifactKey, artifact_store
from ugen.store.signed_urls import SignedUrlError, verify

MAX_BRAND_FILE_BYTES = 2 * 1024 * 1024
"""The logo's and the avatar's limit (documented: 2 MB)."""
UPLOAD_PATHS = ("/tenants/me/brand-kit/logo", "/tenants/me/avatar")
"""The upload paths under the API prefix (they get the 2 MB body limit)."""
_CHUNK = 256 * 1024

router = APIRouter(prefix="/tenants/me", tags=["tenants"],
                   responses={401: {"model": ErrorPublic}}, route_class=StrictJsonRoute)
files_router = APIRouter(prefix="/brand-files", tags=["tenants"],
                         responses={403: {"model": ErrorPublic}, 404: {"model": ErrorPublic}},
                         route_class=StrictJsonRoute)


def _file_body(title: str, description: str) -> dict[str, Any]:
    return {
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"], "title": title,
            "properties": {"file": {"type": "string", "format": "binary",
                                    "contentMediaType": "application/octet-stream",
                                    "title": "File", "description": description}}}}}},
        "responses": {"422": {"description": "Validation Error (no `file` part, or a picture "
                                             "that cannot be used)",
                              "content": {"application/json": {"schema": {
                                  "$ref": "#/components/schemas/HTTPValidationError"}}}}}}


_UPLOAD_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorPublic}, 413: {"model": ErrorPublic}, 415: {"model": ErrorPublic}}


def _file_error(kind: str, message: str) -> RequestValidationError:
    return RequestValidationError([{"type": kind, "loc": ("body", "file"), "msg": message,
                                    "input": None}])


async def _read_upload(request: Request) -> bytes:
    """The ``file`` part's bytes: 413 once past the limit, 422 without one, 400 if empty."""
    async with request.form(max_files=1, max_fields=16) as form:
        file = form.get("file")
        if file is None:
            raise _file_error("missing", "Field required")
        if not isinstance(file, UploadFile):
            raise _file_error("value_error", "Value error, file must be a file, not text")
        parts: list[bytes] = []
        size = 0
        while chunk := await file.read(_CHUNK):
            size += len(chunk)
            if size > MAX_BRAND_FILE_BYTES:
                raise ApiError(413, "FILE_TOO_LARGE", f"the file is larger than the limit of "
                               f"{MAX_BRAND_FILE_BYTES} bytes",
                               {"limit_bytes": MAX_BRAND_FILE_BYTES})
            parts.append(chunk)
    if not size:
        raise ApiError(400, "EMPTY_FILE", "the uploaded file is empty")
    return b"".join(parts)


def _refusal(err: Exception) -> Exception:
    if isinstance(err, brand_kit.UnsupportedFileError):
        return ApiError(415, "UNSUPPORTED_MEDIA_TYPE", str(err),
                        {"accepted": list(err.accepted)})
    return _file_error("value_error", f"Value error, {err}")


@router.get("")
def get_tenant(settings: SettingsDep, account: AccountDep) -> TenantPublic:
    """The account: id, name, credits, avatar URL and brand kit."""
    return TenantPublic.of(brand_kit.tenant_profile(settings, account))


@router.post("/avatar", status_code=201, responses=_UPLOAD_ERRORS,
             openapi_extra=_file_body("AvatarUpload", "PNG, JPEG or WebP, at most 2 MB."))
async def upload_avatar(request: Request, settings: SettingsDep,
                        account: AccountDep) -> AvatarPublic:
    """Upload the account's avatar (PNG, JPEG or WebP, at most 2 MB); it replaces the
    previous one."""
    data = await _read_upload(request)
    try:
        url = await run_in_threadpool(brand_kit.save_avatar, settings, account, data)
    except (brand_kit.UnsupportedFileError, brand_kit.InvalidFileError) as err:
        raise _refusal(err) from None
    return AvatarPublic(avatar_url=url)


@router.post("/brand-kit/logo", status_code=201, responses=_UPLOAD_ERRORS,
             openapi_extra=_file_body("BrandLogoUpload", "PNG, SVG or WebP, at most 2 MB."))
async def upload_logo(request: Request, settings: SettingsDep,
                      account: AccountDep) -> BrandKitPublic:
    """Upload the brand-kit logo (PNG, SVG or WebP, at most 2 MB), drawn as the watermark of
    jobs with ``brand_kit_enabled``; it replaces the previous one. An SVG is checked (no
    DOCTYPE, scripts, text or outside references) and kept as a PNG."""
    data = await _read_upload(request)
    try:
        view = await run_in_threadpool(brand_kit.save_logo, settings, account, data)
    except (brand_kit.UnsupportedFileError, brand_kit.InvalidFileError) as err:
        raise _refusal(err) from None
    return BrandKitPublic.of(view)


@router.get("/brand-kit")
def get_brand_kit(settings: SettingsDep, account: AccountDep) -> BrandKitPublic:
    """The watermark's settings and the logo's URL (null: no logo yet)."""
    return BrandKitPublic.of(brand_kit.brand_kit(settings, account))


@router.put("/brand-kit")
def put_brand_kit(body: BrandKitSettingsIn, settings: SettingsDep,
                  account: AccountDep) -> BrandKitPublic:
    """Replace the watermark's settings (the logo stays)."""
    spec = WatermarkSpec(position=body.position, opacity=body.opacity, size=body.size,
                         margin=body.margin)
    return BrandKitPublic.of(brand_kit.update_brand_kit(
        settings, account, spec, enabled_by_default=body.enabled_by_default))


@files_router.get("/{name:path}", response_class=FileResponse,
                  responses={200: {
                      "description": "The picture's bytes, sent with its own `Content-Type` "
                                     "(`image/png`, `image/jpeg` or `image/webp`; "
                                     "`application/octet-stream` is listed so that client "
                                     "generators return the bytes).",
                      "content": {"application/octet-stream": {
                          "schema": {"type": "string", "format": "binary"}}}}})
def download_brand_file(name: str, settings: SettingsDep,
                        expires: Annotated[str | None, Query()] = None,
                        signature: Annotated[str | None, Query()] = None) -> Response:
    """An account's current logo (always PNG) or avatar, through the signed URL that
    ``GET /tenants/me`` or ``GET /tenants/me/brand-kit`` gave (``name`` is
    ``<account_id>/<file>``)."""
    key = f"brand/{name}"
    try:
        verify(settings, brand_kit.brand_file_path(key), expires, signature)
    except SignedUrlError as err:
        code = "URL_EXPIRED" if err.reason == "expired" else "INVALID_SIGNATURE"
        raise ApiError(403, code, str(err), {"reason": err.reason}) from None
    account_id, _, file_name = name.partition("/")
    path = (brand_kit.brand_file(settings, account_id, file_name)
            if account_id and file_name and "/" not in file_name else None)
    if path is None:
        raise ApiError(404, "NOT_FOUND", f"no current brand file {file_name}")
    presigned = artifact_store(settings).presigned_url(
        ArtifactKey(key), settings.download_url_ttl_s, filename=file_name)
    if presigned is not None:
        return RedirectResponse(presigned, status_code=307)
    media_type = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}.get(
        file_name.rpartition(".")[2], "application/octet-stream")
    return FileResponse(path, media_type=media_type,
                        headers={"X-Content-Type-Options": "nosniff"})
