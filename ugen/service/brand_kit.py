"""The brand kit (logo and watermark settings), the avatar and the tenant profile.

Uploads are recognised by their content, never by their name or declared type. A logo is
PNG, WebP or SVG; it is always kept (and served) as a PNG: an SVG is checked and rasterised by
:mod:`ugen.media.safe_svg`. An avatar is PNG, JPEG or WebP and kept as it came (its pixels
checked). Replacing either deletes the previous file once the new one is recorded.

A job created with ``brand_kit_enabled`` gets its own copy of the logo and of the settings
(:func:`snapshot_for_job`, at creation): the ``complete`` stage draws that copy, so a retry
draws what the job was created with even after the account's logo or settings changed.
"""

from __future__ import annotations

import io
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, UnidentifiedImageError

from ugen.core.config import Settings
from ugen.media.safe_svg import UnsafeSvgError, looks_like_svg, rasterise_svg
from ugen.media.watermark import JOB_LOGO, JOB_WATERMARK, WatermarkSpec
from ugen.pipeline.prepare import JobValidationError
from ugen.store import brand_kit as brand_store
from ugen.store import ledger
from ugen.store.artifacts import ArtifactKey, artifact_store
from ugen.store.db import session_scope
from ugen.store.models import Account
from ugen.store.signed_urls import sign_stored

BRAND_FILES_PREFIX = "/api/v1/brand-files"

LOGO_TYPES = {"PNG": "image/png", "WEBP": "image/webp", "SVG": "image/svg+xml"}
AVATAR_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
_EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
MAX_LOGO_SIDE = 1024
"""A stored logo's longer side at most (larger ones are scaled down when uploaded)."""
MAX_INPUT_SIDE = 8192
"""A raster upload's longer side at most (its pixels are decoded in memory)."""


class UnsupportedFileError(ValueError):
    """The file is not one of the accepted formats (HTTP 415); ``accepted`` names them."""

    def __init__(self, message: str, accepted: tuple[str, ...]) -> None:
        super().__init__(message)
        self.accepted = accepted


class InvalidFileError(ValueError):
    """The file is of an accepted format but cannot be used (HTTP 422): an unsafe SVG, a
    picture too large or damaged."""


@dataclass(frozen=True)
class BrandKitView:
    """An account's brand kit: the settings, and the logo's signed URL (None: no logo)."""

    spec: WatermarkSpec
    enabled_by_default: bool
    logo_url: str | None
    logo_width: int | None
    logo_height: int | None
    logo_key: str | None


@dataclass(frozen=True)
class TenantProfile:
    account_id: str
    name: str
    credit_balance: int
    credit_reserved: int
    avatar_url: str | None
    brand_kit: BrandKitView


# --- signed URLs of brand files (the same HMAC scheme as job files' URLs) --------------------

def brand_file_path(key: str) -> str:
    """The API path that serves the brand file ``key`` (``brand/<account>/<name>``)."""
    return f"{BRAND_FILES_PREFIX}/{key.removeprefix('brand/')}"


def sign_brand_file(settings: Settings, key: str, *, now: float | None = None) -> str:
    """A URL of a brand file valid ``download_url_ttl_s``: the store's presigned URL (S3), else
    this API's ``/brand-files`` URL signed like ``/files`` URLs
    (:func:`ugen.store.signed_urls.verify` checks it)."""
    return sign_stored(settings, ArtifactKey(key), brand_file_path(key), filename=Path(key).name,
                       now=now)


def brand_file(settings: Settings, account_id: str, name: str) -> Path | None:
    """The local file of one of the account's current brand files (logo or avatar); None if
    ``name`` is not one of them (an old, replaced file is not served)."""
    key = f"brand/{account_id}/{name}"
    with session_scope(settings) as s:
        kit = brand_store.get_brand_kit(s, account_id)
        avatar = brand_store.get_avatar(s, account_id)
    if key not in (kit.logo_key, avatar.avatar_key if avatar else None):
        return None
    store = artifact_store(settings)
    return store.path(ArtifactKey(key)) if store.exists(ArtifactKey(key)) else None


# --- reads ------------------------------------------------------------------------------------

def _view(settings: Settings, record: brand_store.BrandKitRecord) -> BrandKitView:
    spec = WatermarkSpec.model_validate({"position": record.position, "opacity": record.opacity,
                                         "size": record.size, "margin": record.margin})
    url = sign_brand_file(settings, record.logo_key) if record.logo_key else None
    return BrandKitView(spec=spec, enabled_by_default=record.enabled_by_default, logo_url=url,
                        logo_width=record.logo_width, logo_height=record.logo_height,
                        logo_key=record.logo_key)


def brand_kit(settings: Settings, account_id: str) -> BrandKitView:
    with session_scope(settings) as s:
        record = brand_store.get_brand_kit(s, account_id)
    return _view(settings, record)


def tenant_profile(settings: Settings, account_id: str) -> TenantProfile:
    """The account's id, name, credits, avatar URL and brand kit."""
    with session_scope(settings) as s:
        account = s.get(Account, account_id)
        name = account.name if account is not None else account_id
        balance = ledger.balance(s, account_id)
        avatar = brand_store.get_avatar(s, account_id)
        record = brand_store.get_brand_kit(s, account_id)
    return TenantProfile(
        account_id=account_id, name=name, credit_balance=balance.credit_balance,
        credit_reserved=balance.credit_reserved,
        avatar_url=sign_brand_file(settings, avatar.avatar_key) if avatar else None,
        brand_kit=_view(settings, record))


# --- writes -----------------------------------------------------------------------------------

def _open_raster(data: bytes, accepted: dict[str, str]) -> Image.Image | None:
    """The picture, if ``data`` is one of the ``accepted`` raster formats (None: not a
    raster picture Pillow knows)."""
    try:
        img = Image.open(io.BytesIO(data), formats=sorted(accepted))
    except (UnidentifiedImageError, OSError):
        return None
    except Image.DecompressionBombError as err:
        raise InvalidFileError(f"the picture is too large: {err}") from None
    if max(img.size) > MAX_INPUT_SIDE:
        raise InvalidFileError(f"the picture is {img.width}x{img.height}; the longer side may "
                               f"be at most {MAX_INPUT_SIDE} pixels")
    try:
        img.load()
    except (OSError, Image.DecompressionBombError) as err:
        raise InvalidFileError(f"the picture could not be read: {err}") from None
    return img


def _logo_picture(data: bytes) -> Image.Image:
    raster = _open_raster(data, {k: v for k, v in LOGO_TYPES.items() if k != "SVG"})
    if raster is not None:
        picture = raster.convert("RGBA")
    elif looks_like_svg(data):
        try:
            picture = rasterise_svg(data)
        except UnsafeSvgError as err:
            raise InvalidFileError(str(err)) from None
    else:
        raise UnsupportedFileError("the logo must be a PNG, SVG or WebP image",
                                   tuple(LOGO_TYPES.values()))
    if max(picture.size) > MAX_LOGO_SIDE:
        picture.thumbnail((MAX_LOGO_SIDE, MAX_LOGO_SIDE), Image.Resampling.LANCZOS)
    return picture


def _put(settings: Settings, key: str, write: object) -> None:
    """Store the bytes ``write`` (bytes, or a PIL picture saved as PNG) under ``key``."""
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.work_dir) as tmp_dir:
        tmp = Path(tmp_dir) / "file"  # the client's file name never becomes a path
        if isinstance(write, Image.Image):
            write.save(tmp, format="PNG")
        else:
            assert isinstance(write, bytes)
            tmp.write_bytes(write)
        artifact_store(settings).put_file(ArtifactKey(key), tmp)


def _delete(settings: Settings, key: str | None) -> None:
    if key:
        artifact_store(settings).delete_prefix(key)


def save_logo(settings: Settings, account_id: str, data: bytes) -> BrandKitView:
    """Check and keep the account's logo (as a PNG), replacing and deleting the previous one.

    Raises:
        UnsupportedFileError: not PNG, WebP or SVG;
        InvalidFileError: an unsafe or undrawable SVG, or an unreadable or huge picture.
    """
    picture = _logo_picture(data)
    key = f"brand/{account_id}/logo-{uuid.uuid4()}.png"
    _put(settings, key, picture)
    with session_scope(settings) as s:
        old = brand_store.swap_logo(s, account_id, key, picture.width, picture.height)
    _delete(settings, old)
    return brand_kit(settings, account_id)


def update_brand_kit(settings: Settings, account_id: str, spec: WatermarkSpec, *,
                     enabled_by_default: bool) -> BrandKitView:
    """Replace the account's watermark settings."""
    with session_scope(settings) as s:
        record = brand_store.set_settings(
            s, account_id, position=spec.position, opacity=spec.opacity, size=spec.size,
            margin=spec.margin, enabled_by_default=enabled_by_default)
    return _view(settings, record)


def save_avatar(settings: Settings, account_id: str, data: bytes) -> str:
    """Check and keep the account's avatar, replacing and deleting the previous one; return
    its signed URL.

    Raises:
        UnsupportedFileError: not PNG, JPEG or WebP;
        InvalidFileError: an unreadable or huge picture.
    """
    picture = _open_raster(data, AVATAR_TYPES)
    if picture is None or picture.format not in AVATAR_TYPES:
        raise UnsupportedFileError("the avatar must be a PNG, JPEG or WebP image",
                                   tuple(AVATAR_TYPES.values()))
    fmt = str(picture.format)
    key = f"brand/{account_id}/avatar-{uuid.uuid4()}.{_EXTENSIONS[fmt]}"
    _put(settings, key, data)
    with session_scope(settings) as s:
        old = brand_store.swap_avatar(s, account_id, key, AVATAR_TYPES[fmt])
    _delete(settings, old)
    return sign_brand_file(settings, key)


# --- jobs -------------------------------------------------------------------------------------

def require_logo(settings: Settings, account_id: str) -> None:
    """Refuse a job with the watermark when the account has no logo.

    Raises:
        JobValidationError: (field ``brand_kit_enabled``) no logo uploaded.
    """
    with session_scope(settings) as s:
        record = brand_store.get_brand_kit(s, account_id)
    if record.logo_key is None:
        raise JobValidationError("brand_kit_enabled", "the account has no brand-kit logo; "
                                 "upload one first (the brand kit's logo upload, "
                                 "tenants/me/brand-kit/logo) or set brand_kit_enabled to "
                                 "false")


def snapshot_for_job(settings: Settings, account_id: str, job_id: str) -> None:
    """Copy the account's current logo and watermark settings into the job's own files.

    Raises:
        JobValidationError: (field ``brand_kit_enabled``) no logo (it cannot be removed, so
            only a logo missing from storage gets here).
    """
    view = brand_kit(settings, account_id)
    store = artifact_store(settings)
    if view.logo_key is None or not store.exists(ArtifactKey(view.logo_key)):
        raise JobValidationError("brand_kit_enabled", "the account's brand-kit logo is "
                                 "missing; upload it again")
    store.put_file(ArtifactKey(f"{job_id}/{JOB_LOGO}"), store.path(ArtifactKey(view.logo_key)))
    _put(settings, f"{job_id}/{JOB_WATERMARK}", view.spec.model_dump_json().encode())
