"""Write outputs atomically: encode to a temporary name beside the target, then rename."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def temp_sibling(out: Path) -> Path:
    """A unique hidden name in ``out``'s folder with the same suffix (so muxers are inferred)."""
    return out.with_name(f".{out.stem}.{uuid.uuid4().hex[:12]}.tmp{out.suffix}")


@contextmanager
def atomic_output(out: Path) -> Iterator[Path]:
    """Yield a temporary path; on success it replaces ``out``, on error it is removed."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_sibling(out)
    try:
        yield tmp
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
