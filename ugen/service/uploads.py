"""Product images of an account: uploaded, or fetched from a URL, checked by their content
and kept as uploads (``ugen://uploads/<id>``)."""

from __future__ import annotations

import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from ugen.core.config import Settings
from ugen.net import FetchLimits, any_address, fetch_image, is_public_address
from ugen.pipeline.prepare import ALLOWED_FORMATS, JobValidationError, check_product_image
from ugen.store.artifacts import ArtifactKey, artifact_store

IMAGE_TYPES: dict[str, str] = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp",
               "GIF": "image/gif"}
"""The content type of each image format the pipeline accepts."""


@dataclass(frozen=True)
class StoredUpload:
    """A product image kept for the account, checked by its content."""

    upload_id: str
    content_type: str
    width: int
    height: int
    size_bytes: int


def save_product_image(settings: Settings, account_id: str, data: bytes) -> StoredUpload:
    """Check an image by its bytes and keep it as an upload of the account.

    Raises:
        JobValidationError: (field ``product_image``) not an image the pipeline accepts
            (format, size, sides).
    """
    settings.work_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.work_dir) as tmp_dir:
        tmp = Path(tmp_dir) / "upload"  # the client's file name never becomes a path
        tmp.write_bytes(data)
        check = check_product_image(tmp, settings)
        upload_id = str(uuid.uuid4())
        key = ArtifactKey(f"uploads/{account_id}/{upload_id}.{ALLOWED_FORMATS[check.format]}")
        artifact_store(settings).put_file(key, tmp)
    return StoredUpload(upload_id, IMAGE_TYPES[check.format], check.width, check.height,
                        len(data))


def fetch_product_image(settings: Settings, account_id: str, url: str) -> StoredUpload:
    """Fetch an http(s) image safely (:mod:`ugen.net`) and keep it like an upload.

    Raises:
        ugen.net.FetchError: the URL could not be fetched (its ``reason``);
        JobValidationError: (field ``product_image``) not an image the pipeline accepts.
    """
    allow = any_address if settings.allow_private_urls else is_public_address
    limits = FetchLimits(max_bytes=settings.max_image_bytes,
                         timeout_s=settings.image_fetch_timeout_s,
                         max_redirects=settings.image_fetch_max_redirects)
    return save_product_image(settings, account_id,
                              fetch_image(url, limits=limits, allow=allow).data)


def uploaded_image(settings: Settings, account_id: str, upload_id: str, *,
                   field: str = "product_image") -> Path:
    """The stored file of one of the account's uploads.

    Raises:
        JobValidationError: (``field``) no such upload in this account.
    """
    try:
        canonical = str(uuid.UUID(upload_id))
    except ValueError:
        canonical = ""
    if not canonical or canonical != upload_id:
        raise JobValidationError(field, _NO_UPLOAD)
    store = artifact_store(settings)
    prefix = f"uploads/{account_id}/{canonical}."
    local = store.local_path(ArtifactKey(prefix + _EXTENSIONS[0]))
    if local is not None:  # a local store: a stat per format, not a listing of the folder
        for ext in _EXTENSIONS:
            candidate = local.with_suffix(f".{ext}")
            if candidate.is_file():
                return candidate
        raise JobValidationError(field, _NO_UPLOAD)
    found = sorted(obj.key for obj in store.iter_keys(prefix))
    if not found:
        raise JobValidationError(field, _NO_UPLOAD)
    return store.path(found[0])


_NO_UPLOAD = "no such upload in this account; upload the image again"
_EXTENSIONS = sorted(set(ALLOWED_FORMATS.values()))
