"""Expiring signed download URLs of job artifacts: the signature is the capability.

A URL is ``/api/v1/files/{job_id}/{name}?expires=UNIX&signature=HEX`` where ``signature`` is
the hex HMAC-SHA256 of ``"{path}\\n{expires}"`` under the URL signing key. The key is
``UGEN_URL_SIGNING_SECRET``; without it a random key is created once in the data dir (mode
0600) so URLs stay valid across restarts and are shared by every process on that data dir.

With S3 storage (``UGEN_STORAGE_URL=s3://…``) the URLs handed out are the store's presigned
GET URLs instead, valid the same ``download_url_ttl_s``; the bytes then never pass through
the API.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
import threading
import time
from pathlib import Path, PurePosixPath
from urllib.parse import urlencode

from ugen.core.config import Settings
from ugen.store.artifacts import ArtifactKey, artifact_store

FILES_PREFIX = "/api/v1/files"
KEY_FILE = "url_signing.key"

_lock = threading.Lock()
_keys: dict[Path, bytes] = {}


class SignedUrlError(Exception):
    """A download URL is expired, altered or unsigned; ``reason`` says which."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def key_from_file(path: Path) -> bytes:
    """The key kept in ``path``: 32 random bytes as hex, written once (mode 0600) by the first
    process that needs it; every later reader gets the same key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    for _ in range(50):  # another process may be writing it right now
        text = path.read_text().strip()
        if text:
            return text.encode()
        time.sleep(0.01)
    raise RuntimeError(f"the key file {path.name} is empty")


def signing_key(settings: Settings) -> bytes:
    """The HMAC key: the configured secret, else the data dir's generated one."""
    if settings.url_signing_secret is not None:
        return settings.url_signing_secret.get_secret_value().encode()
    path = settings.data_dir / KEY_FILE
    with _lock:
        key = _keys.get(path)
        if key is None:
            key = _keys[path] = key_from_file(path)
    return key


def file_path(job_id: str, name: str) -> str:
    return f"{FILES_PREFIX}/{job_id}/{name}"


def _signature(key: bytes, path: str, expires: int) -> str:
    return hmac.new(key, f"{path}\n{expires}".encode(), hashlib.sha256).hexdigest()


def artifact_name(job_id: str, artifact_key: str) -> str:
    """An artifact's name within its job (``keyframes/kf_01.png``): its key without the job
    (a key that does not start with the job is taken as such a name already)."""
    prefix = f"{job_id}/"
    return artifact_key.removeprefix(prefix)


def sign_path(settings: Settings, path: str, *, now: float | None = None) -> str:
    """``path`` of this API signed to expire in ``download_url_ttl_s`` (:func:`verify`
    checks it)."""
    expires = int(now if now is not None else time.time()) + settings.download_url_ttl_s
    query = urlencode({"expires": expires,
                       "signature": _signature(signing_key(settings), path, expires)})
    return f"{path}?{query}"


def sign_stored(settings: Settings, key: ArtifactKey, path: str, *, filename: str,
                now: float | None = None) -> str:
    """The download URL of a stored file, valid ``download_url_ttl_s``: the store's own
    presigned URL when it has them (S3, saved as ``filename``), else ``path`` (the API route
    that serves the file) signed by :func:`sign_path`."""
    presigned = artifact_store(settings).presigned_url(key, settings.download_url_ttl_s,
                                                       filename=filename)
    if presigned is not None:
        return presigned
    return sign_path(settings, path, now=now)


def sign_artifact(settings: Settings, job_id: str, artifact_key: str, *,
                  now: float | None = None) -> str:
    """The signed download URL of one artifact of a job, valid ``download_url_ttl_s``: the
    store's own presigned URL when it has them (S3), else this API's ``/files`` URL."""
    name = artifact_name(job_id, artifact_key)
    return sign_stored(settings, ArtifactKey(f"{job_id}/{name}"), file_path(job_id, name),
                       filename=PurePosixPath(name).name, now=now)


def verify(settings: Settings, path: str, expires: str | None, signature: str | None, *,
           now: float | None = None) -> None:
    """Check a download URL's expiry and signature.

    Raises:
        SignedUrlError: ``missing``, ``invalid`` (altered path, expiry or signature) or
            ``expired``.
    """
    if not expires or not signature:
        raise SignedUrlError("missing", "the URL is not signed: expires and signature are "
                                        "required")
    # ASCII digits only: int() also reads "١٢٣" and "１２３", and str.isdigit() passes "²".
    if not (expires.isascii() and expires.isdigit()) or len(expires) > 12:
        raise SignedUrlError("invalid", "the URL's signature does not match")
    want = _signature(signing_key(settings), path, int(expires))
    if not hmac.compare_digest(want.encode(), signature.lower().encode(errors="replace")):
        raise SignedUrlError("invalid", "the URL's signature does not match")
    if int(expires) < (now if now is not None else time.time()):
        raise SignedUrlError("expired", "the download URL has expired")
