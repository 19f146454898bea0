"""Word-level karaoke captions as ASS, for libass burn-in (the ``captions`` stage).

Public API:

* :func:`build_ass` / :func:`write_ass` - word timings to an ASS script;
* :class:`CaptionOptions` - the product's ``custom_caption_options``;
* :func:`render_frame` - draw a script at one instant (previews, tests);
* :func:`family_for_language` - the Noto family captions in a language use.
"""

from ugen.captions.builder import build_ass, write_ass
from ugen.captions.fonts import family_for_language
from ugen.captions.options import CaptionOptions
from ugen.captions.render import render_frame

__all__ = ["CaptionOptions", "build_ass", "family_for_language", "render_frame", "write_ass"]
