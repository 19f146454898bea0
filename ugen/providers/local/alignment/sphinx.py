"""English forced alignment with pocketsphinx and its bundled en-us acoustic model.

The known words are aligned to the recording (pocketsphinx's alignment search: the words in
order, optional silence between them), not transcribed, so brand names come out as written.
Each caption word becomes the words spoken for it (see ``_pronounce``); words missing from the
dictionary get a pronunciation before the search starts. A decoder is made per call (about
0.2 s): it is not thread-safe, and a fresh one keeps the dictionary free of earlier jobs' words.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ugen.providers.base import Alignment, PermanentProviderError
from ugen.providers.local.alignment._audio import PROVIDER, RATE, read_mono, speech_regions
from ugen.providers.local.alignment._pronounce import pronounce, spoken_tokens
from ugen.providers.local.alignment._timings import tidy

if TYPE_CHECKING:
    from pocketsphinx import Decoder

METHOD = "pocketsphinx"
_FRAME_S = 0.01  # pocketsphinx reports times in 100 frames per second
_NOT_WORDS = frozenset({"<s>", "</s>", "<sil>"})


def _decoder() -> Decoder:
    from pocketsphinx import Decoder

    return Decoder(lm=None, samprate=RATE, loglevel="FATAL")


def _dictionary_key(decoder: Decoder, token: str) -> str:
    """The dictionary word for ``token``, added with a made-up pronunciation when missing."""
    if decoder.lookup_word(token) is None:
        decoder.add_word(token, pronounce(token, decoder.lookup_word), True)
    return token


class PocketsphinxAligner:
    """:class:`~ugen.providers.base.WordAligner` for English speech."""

    def align(
        self, audio: Path, lines: Sequence[Sequence[str]], *, language: str
    ) -> Alignment:
        """Time each word of ``lines`` in ``audio`` by forced alignment.

        Raises:
            PermanentProviderError: unreadable audio, no speech in it, or no alignment found
                (the speech does not fit the words).
        """
        words = [w for line in lines for w in line]
        if not words:
            return Alignment((), METHOD)
        samples = read_mono(audio)
        duration = len(samples) / RATE
        if not speech_regions(samples):
            raise PermanentProviderError(f"no speech found in {Path(audio).name}",
                                         provider=PROVIDER)
        owners: list[int] = []  # caption word index of each spoken token
        tokens: list[str] = []
        for i, word in enumerate(words):
            spoken = spoken_tokens(word)
            tokens += spoken
            owners += [i] * len(spoken)
        if not tokens:
            raise PermanentProviderError("no speakable English words to align",
                                         provider=PROVIDER)
        try:
            decoder = _decoder()
            keys = [_dictionary_key(decoder, token) for token in tokens]
            decoder.set_align_text(" ".join(keys))
            pcm = (np.clip(samples, -1.0, 1.0) * 32767).astype("<i2").tobytes()
            decoder.start_utt()
            decoder.process_raw(pcm, full_utt=True)
            decoder.end_utt()
            found = [(seg.start_frame * _FRAME_S, (seg.end_frame + 1) * _FRAME_S)
                     for seg in decoder.seg() or ()  # None: no alignment found
                     if seg.word not in _NOT_WORDS and not seg.word.startswith(("[", "+"))]
        except RuntimeError as err:
            raise PermanentProviderError(f"pocketsphinx failed: {err}",
                                         provider=PROVIDER) from err
        if len(found) != len(keys):
            raise PermanentProviderError(
                f"pocketsphinx aligned {len(found)} of {len(keys)} words", provider=PROVIDER)
        return Alignment(tidy(words, _word_times(len(words), owners, found), duration=duration),
                         METHOD)


def _word_times(count: int, owners: Sequence[int],
                found: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """Each caption word's span from its tokens' spans; a silent word sits where it falls."""
    spans: list[tuple[float, float] | None] = [None] * count
    for owner, (start, end) in zip(owners, found, strict=True):
        span = spans[owner]
        spans[owner] = (start, end) if span is None else (span[0], end)
    out: list[tuple[float, float]] = []
    previous_end = 0.0
    for span in spans:
        if span is None:
            out.append((previous_end, previous_end))
        else:
            out.append(span)
            previous_end = span[1]
    return out
