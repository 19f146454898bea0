"""Files posted in the dashboard's multipart forms, read with a size limit."""

from __future__ import annotations

from starlette.datastructures import UploadFile

CHUNK = 256 * 1024


class FileTooLargeError(Exception):
    """The posted file is larger than the form's limit."""


async def read_upload(file: UploadFile, limit: int) -> bytes:
    """The posted file's bytes, read in chunks and stopped once past ``limit``.

    Raises:
        FileTooLargeError: the file is larger than ``limit`` bytes.
    """
    parts: list[bytes] = []
    size = 0
    while chunk := await file.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise FileTooLargeError
        parts.append(chunk)
    return b"".join(parts)
