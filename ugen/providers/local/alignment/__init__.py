"""Offline word alignment: when each word of a known script is spoken in the voice track.

``LocalWordAligner`` picks the method: ``PocketsphinxAligner`` (English, acoustic forced
alignment) or ``SpeechActivityAligner`` (any language, speech regions and word weights).
"""

from ugen.providers.local.alignment.activity import SpeechActivityAligner
from ugen.providers.local.alignment.aligner import LocalWordAligner
from ugen.providers.local.alignment.sphinx import PocketsphinxAligner

__all__ = ["LocalWordAligner", "PocketsphinxAligner", "SpeechActivityAligner"]
