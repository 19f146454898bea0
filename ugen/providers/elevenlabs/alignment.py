"""Forced alignment through ElevenLabs: when each word of the script is spoken.

The script is sent as text, one spoken line per text line; the vendor's ``words`` (text,
start, end) are mapped back onto our caption words by their letters (case, punctuation and
spacing ignored), so a vendor that splits or joins words differently still times every one of
ours. Words the vendor did not place are spread over the gap around them. Billing is per
second of audio, like speech-to-text: each call adds a :class:`~ugen.providers.base.Usage`
under the audio path to :attr:`usage`.
"""

from __future__ import annotations

import difflib
import math
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from elevenlabs.core.api_error import ApiError
from pydantic import SecretStr

from ugen.core.config import Settings
from ugen.providers.base import (
    Alignment,
    PermanentProviderError,
    Usage,
    UsageLedger,
    WordTiming,
)
from ugen.providers.elevenlabs._client import make_client, request_options, to_upload_wav
from ugen.providers.elevenlabs._errors import PROVIDER, translate

METHOD = "elevenlabs-forced-alignment"


@dataclass(frozen=True)
class VendorWord:
    text: str
    start: float
    end: float


def _letters(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def map_words(words: Sequence[str], vendor: Sequence[VendorWord],
              duration_s: float) -> tuple[WordTiming, ...]:
    """Time each of ``words`` from the vendor's words, matched letter by letter.

    The result keeps the :class:`~ugen.providers.base.WordAligner` promises: one timing per
    word, starts never decrease, a word ends no later than the next starts, all inside
    ``[0, duration_s]``.
    """
    ours = [_letters(w) for w in words]
    theirs: list[float] = []  # per vendor letter: index of its vendor word
    letters: list[str] = []
    for i, vw in enumerate(vendor):
        for ch in _letters(vw.text):
            letters.append(ch)
            theirs.append(i)
    matcher = difflib.SequenceMatcher(None, "".join(ours), "".join(letters), autojunk=False)
    owner = [-1] * sum(len(o) for o in ours)
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            owner[block.a + k] = int(theirs[block.b + k])
    spans: list[tuple[float, float] | None] = []
    pos = 0
    for text in ours:
        hits = [owner[p] for p in range(pos, pos + len(text)) if owner[p] >= 0]
        pos += len(text)
        if hits:
            spans.append((vendor[min(hits)].start, vendor[max(hits)].end))
        else:
            spans.append(None)
    return _fill_and_clamp(words, spans, duration_s)


def _fill_and_clamp(words: Sequence[str], spans: list[tuple[float, float] | None],
                    duration_s: float) -> tuple[WordTiming, ...]:
    """Spread unplaced words over the gap between their placed neighbours, then clamp."""
    filled: list[tuple[float, float]] = []
    i = 0
    while i < len(spans):
        span = spans[i]
        if span is not None:
            filled.append(span)
            i += 1
            continue
        j = i
        while j < len(spans) and spans[j] is None:
            j += 1
        left = filled[-1][1] if filled else 0.0
        nxt = spans[j] if j < len(spans) else None
        right = nxt[0] if nxt is not None else duration_s
        right = max(right, left)
        step = (right - left) / (j - i)
        filled.extend((left + k * step, left + (k + 1) * step) for k in range(j - i))
        i = j
    out: list[WordTiming] = []
    last_start = 0.0
    for k, (text, (start, end)) in enumerate(zip(words, filled, strict=True)):
        start = min(max(start, last_start, 0.0), duration_s)
        nxt_start = filled[k + 1][0] if k + 1 < len(filled) else duration_s
        end = min(max(end, start), max(nxt_start, start), duration_s)
        out.append(WordTiming(text=text, start=round(start, 3), end=round(end, 3)))
        last_start = start
    return tuple(out)


class ElevenLabsAligner:
    """A :class:`~ugen.providers.base.WordAligner` calling ``forced_alignment.create``."""

    def __init__(self, *, api_key: SecretStr | None,
                 base_url: str = "https://api.elevenlabs.io", timeout_s: float = 120.0) -> None:
        self._client = make_client(api_key, base_url)
        self.timeout_s = timeout_s
        self.usage = UsageLedger()

    @classmethod
    def from_settings(cls, settings: Settings) -> ElevenLabsAligner:
        return cls(api_key=settings.elevenlabs_api_key, base_url=settings.elevenlabs_base_url,
                   timeout_s=settings.elevenlabs_alignment_timeout_s)

    def align(self, audio: Path, lines: Sequence[Sequence[str]], *,
              language: str) -> Alignment:
        """Time the words of ``lines`` in ``audio`` (see the ``WordAligner`` protocol).

        ``language`` is not sent: ElevenLabs detects it.

        Raises:
            PermanentProviderError: unreadable audio, or the vendor refused.
            TransientProviderError: rate limited, server error or timeout (retry).
        """
        words = [w for line in lines for w in line]
        if not words:
            return Alignment(words=(), method=METHOD)
        text = "\n".join(" ".join(line) for line in lines if line)
        with tempfile.TemporaryDirectory(prefix="ugen-align-") as tmp:
            upload = Path(tmp) / "speech.wav"
            duration = to_upload_wav(Path(audio), upload, timeout_s=self.timeout_s)
            try:
                with upload.open("rb") as fh:
                    answer = self._client.forced_alignment.create(
                        file=(upload.name, fh, "audio/wav"), text=text,
                        request_options=request_options(self.timeout_s))
            except (ApiError, httpx.HTTPError) as err:
                raise translate(err, call="forced alignment") from err
        vendor = [VendorWord(w.text, float(w.start), float(w.end)) for w in answer.words
                  if w.text.strip()]
        if not vendor:
            raise PermanentProviderError(f"{PROVIDER}: forced alignment found no words",
                                         provider=PROVIDER)
        self.usage.add(audio, Usage(units=math.ceil(duration * 1000) / 1000, unit="second",
                                    provider=PROVIDER, model="forced-alignment"))
        return Alignment(words=map_words(words, vendor, duration), method=METHOD)
