"""The local aligner: pocketsphinx for English, speech activity for every other language."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

from ugen.providers.base import Alignment, PermanentProviderError, WordAligner
from ugen.providers.local.alignment._audio import UnreadableAudioError
from ugen.providers.local.alignment.activity import SpeechActivityAligner
from ugen.providers.local.alignment.sphinx import PocketsphinxAligner

log = logging.getLogger(__name__)


def _is_english(language: str) -> bool:
    return language.strip().lower().replace("_", "-").split("-")[0] == "en"


class LocalWordAligner:
    """Offline :class:`~ugen.providers.base.WordAligner`: the best local method per language.

    English is aligned with pocketsphinx; if that fails on some input (the speech does not
    fit the words), the speech-activity method answers instead, with a logged warning. Either
    method can be replaced (tests pass a failing one).
    """

    def __init__(self, *, english: WordAligner | None = None,
                 fallback: WordAligner | None = None) -> None:
        self.english: WordAligner = english or PocketsphinxAligner()
        self.fallback: WordAligner = fallback or SpeechActivityAligner()

    def align(
        self, audio: Path, lines: Sequence[Sequence[str]], *, language: str
    ) -> Alignment:
        """Time each word of ``lines`` in ``audio``; see the interface for the contract."""
        if _is_english(language):
            try:
                return self.english.align(audio, lines, language=language)
            except PermanentProviderError as err:
                if isinstance(err, UnreadableAudioError):
                    raise  # no other method can read it either
                log.warning("pocketsphinx could not align %s (%s); using speech activity",
                            Path(audio).name, err)
        return self.fallback.align(audio, lines, language=language)
