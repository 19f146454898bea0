"""Rendered frames (ffmpeg + libass): escaping, fitting, right-to-left order, CJK glyphs.

The Arabic and Hebrew frames are kept under ``test-output/captions/`` for inspection.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pysubs2
import pytest
from captions_helpers import (
    HAS_LIBASS,
    OUTPUT_DIR,
    TAG_BLOCK,
    bright_bbox,
    green_mask,
    mid,
    render,
    words_from,
)
from PIL import Image, ImageDraw, ImageFont

from ugen.captions import CaptionOptions, family_for_language, write_ass
from ugen.captions.escape import WORD_JOINER, tokenize_event_text
from ugen.captions.fonts import find_font, missing_chars
from ugen.catalog import CAPTION_STYLES
from ugen.providers.base import WordTiming

pytestmark = pytest.mark.skipif(not HAS_LIBASS, reason="needs ffmpeg with libass and fontconfig")

W, H = 540, 960
GREEN = CaptionOptions(highlight_colour="#00FF00")


def _ass(words: list[WordTiming], tmp: Path, *, language: str = "en",
         style: str = "tiktok_karaoke", options: CaptionOptions | None = None,
         size: tuple[int, int] = (W, H)) -> Path:
    return write_ass(words, language=language, width=size[0], height=size[1], style=style,
                     options=options, out=tmp / f"{language}-{style}.ass")


# --- escaping -------------------------------------------------------------------------------

HOSTILE = ["{\\b1}bold{\\b0}", "line\\Nbreak", "hard\\hspace", "}{", "\\", "{\\pos(0,0)}x",
           "a{comment}b", "\\{"]


def test_untrusted_text_cannot_act_as_override_tags(tmp_path: Path) -> None:
    words = [WordTiming(t, 0.2 + i, 0.8 + i) for i, t in enumerate(HOSTILE)]
    for style in CAPTION_STYLES:
        subs = pysubs2.load(str(_ass(words, tmp_path, style=style)))
        order = " ".join(HOSTILE)
        for ev in subs.events:
            text = ""
            for is_block, content in tokenize_event_text(ev.text):
                if is_block:  # only the blocks build_ass writes itself
                    assert TAG_BLOCK.fullmatch(content), content
                else:
                    text += content
            # the only backslash-letter left is build_ass's own line break between words
            raw_lines = text.split("\\N")
            assert not any(re.search(r"\\[A-Za-z]", line) for line in raw_lines)
            lines = [line.replace(WORD_JOINER, "") for line in raw_lines]
            assert " ".join(lines) in order, lines  # whole words, shown as typed


def _text_bbox(text: str, tmp: Path, name: str) -> tuple[int, int, int, int]:
    ass = write_ass([WordTiming(text, 0.0, 1.0)], language="en", width=W, height=H,
                    out=tmp / f"{name}.ass")
    box = bright_bbox(render(ass, 0.5, width=W, height=H, out=tmp / f"{name}.png"))
    assert box is not None, f"nothing drawn for {text!r}"
    return box


def test_tag_lookalikes_are_drawn_literally(tmp_path: Path) -> None:
    bold = _text_bbox("bold", tmp_path, "plain")
    tagged = _text_bbox("{\\b1}bold{\\b0}", tmp_path, "tagged")
    # the tag text is drawn: far wider than "bold" alone
    assert tagged[2] - tagged[0] > 2.2 * (bold[2] - bold[0])
    one_line = _text_bbox("xy", tmp_path, "xy")
    newline = _text_bbox("x\\Ny", tmp_path, "newline")
    # "\N" is drawn as text, not a line break: still one line high, and wider than "xy"
    assert newline[3] - newline[1] < 1.4 * (one_line[3] - one_line[1])
    assert newline[2] - newline[0] > 1.5 * (one_line[2] - one_line[0])


# --- long words stay in the frame -----------------------------------------------------------


@pytest.mark.parametrize("style", CAPTION_STYLES)
@pytest.mark.parametrize(("language", "long_word"), [
    ("en", "Pneumonoultramicroscopicsilicovolcanoconiosis"),
    ("en", "Supercalifragilisticexpialidocious" * 8),
    ("de", "Donaudampfschifffahrtselektrizitätenhauptbetriebswerkbauunterbeamtengesellschaft"),
    ("ar", "والمستحضرات" * 5),
    ("hi", "प्रतिस्पर्धात्मकता" * 4),
    ("zh", "这是一个非常非常长的中文句子没有任何空格可以换行的地方"),
], ids=["en-45", "en-272", "de-81", "ar-55", "hi-72", "zh-27"])
def test_a_very_long_word_stays_inside_the_frame(
    style: str, language: str, long_word: str, tmp_path: Path
) -> None:
    words = [WordTiming("Wow", 0.2, 0.5), WordTiming(long_word, 0.6, 1.6),
             WordTiming("yes", 1.7, 2.0)]
    ass = _ass(words, tmp_path, language=language, style=style)
    img = render(ass, mid(words[1]), width=W, height=H, out=tmp_path / "long.png")
    box = bright_bbox(img)
    assert box is not None
    x0, y0, x1, y1 = box
    assert x0 >= 0.06 * W and x1 <= 0.94 * W, box  # safe area is 10 % a side
    assert y0 >= 0.05 * H and y1 <= 0.80 * H, box  # above the bottom platform UI


# --- right to left --------------------------------------------------------------------------

LINES = {
    "ar": "السيروم رائع جدا",
    "he": "הסרום מדהים באמת",
    "en": "This is great",
    "he-brand": "Glow הוא מדהים",
    "ar-number": "سيروم رقم 1",
}


def _highlight_xs(key: str, style: str, tmp: Path, save: bool) -> list[float]:
    language = key.split("-")[0]
    words = words_from(LINES[key])
    ass = _ass(words, tmp, language=language, style=style, options=GREEN)
    xs: list[float] = []
    for k, word in enumerate(words):
        out = tmp / f"{key}_{style}_{k}.png"
        if save and k in (0, len(words) - 1):
            out = OUTPUT_DIR / f"{key}_{style}_{'first' if k == 0 else 'last'}.png"
        mask = green_mask(render(ass, mid(word), width=W, height=H, out=out))
        assert mask.sum() > 40, f"no highlight drawn for word {k} of {key}"
        xs.append(float(np.nonzero(mask)[1].mean()))
    return xs


@pytest.mark.parametrize("style", CAPTION_STYLES)
@pytest.mark.parametrize("key", ["ar", "he", "he-brand", "ar-number"])
def test_rtl_highlight_moves_right_to_left(key: str, style: str, tmp_path: Path) -> None:
    xs = _highlight_xs(key, style, tmp_path, save=key in ("ar", "he"))
    assert xs[0] > xs[-1]  # the first spoken word is right of the last
    assert xs == sorted(xs, reverse=True)


@pytest.mark.parametrize("style", CAPTION_STYLES)
def test_ltr_highlight_moves_left_to_right(style: str, tmp_path: Path) -> None:
    xs = _highlight_xs("en", style, tmp_path, save=False)
    assert xs[0] < xs[-1]
    assert xs == sorted(xs)


def test_rtl_two_line_group_reads_top_right_first(tmp_path: Path) -> None:
    words = words_from("هذا السيروم غيّر بشرتي في أسبوع")
    ass = _ass(words, tmp_path, language="ar", options=GREEN)
    first = green_mask(render(ass, mid(words[0]), width=W, height=H, out=tmp_path / "f.png"))
    last = green_mask(render(ass, mid(words[-1]), width=W, height=H,
                             out=OUTPUT_DIR / "ar_two_lines_last.png"))
    fy, fx = (float(a.mean()) for a in np.nonzero(first))
    ly, lx = (float(a.mean()) for a in np.nonzero(last))
    assert fy < ly and fx > lx


# --- CJK --------------------------------------------------------------------------------------

CJK = {
    "zh": ["这款", "精华", "真的", "太好用了", "！"],
    "ja": ["この", "セラム", "すごく", "いい", "です", "。"],
    "ko": ["이", "세럼", "정말", "좋아요", "!"],
}


def _glyph(font: ImageFont.FreeTypeFont, char: str) -> np.ndarray:
    canvas = Image.new("L", (64, 64))
    ImageDraw.Draw(canvas).text((4, 4), char, font=font, fill=255)
    return np.asarray(canvas)


@pytest.mark.parametrize("language", sorted(CJK))
def test_cjk_line_renders_real_glyphs(language: str, tmp_path: Path) -> None:
    units = CJK[language]
    text = "".join(units)
    family = family_for_language(language)
    font = find_font(family)
    assert font is not None and font.family == family
    assert missing_chars(font, text) == []  # fontconfig: the face covers every character
    pil = ImageFont.truetype(str(font.path), 48, index=font.index)
    notdef = _glyph(pil, "\U0010fffd")
    for ch in set(text):
        assert not np.array_equal(_glyph(pil, ch), notdef), f"{ch!r} would be tofu"
    words = [WordTiming(u, 0.2 + 0.4 * i, 0.55 + 0.4 * i) for i, u in enumerate(units)]
    ass = _ass(words, tmp_path, language=language, options=GREEN)
    img = render(ass, mid(words[1]), width=W, height=H, out=OUTPUT_DIR / f"{language}_line.png")
    box = bright_bbox(img)
    assert box is not None and (img.max(axis=2) > 90).sum() > 1500
    assert green_mask(img).sum() > 40
    assert box[0] >= 0.05 * W and box[2] <= 0.95 * W


# --- position ---------------------------------------------------------------------------------


@pytest.mark.parametrize("position", ["bottom", "middle", "top"])
def test_position_option_moves_the_block(position: str, tmp_path: Path) -> None:
    words = words_from("where am I")
    options = CaptionOptions(position=position)  # type: ignore[arg-type]
    img = render(_ass(words, tmp_path, options=options), mid(words[0]), width=W, height=H,
                 out=tmp_path / "pos.png")
    box = bright_bbox(img)
    assert box is not None
    centre = (box[1] + box[3]) / 2
    if position == "bottom":
        assert box[3] <= 0.78 * H and centre > 0.6 * H
    elif position == "top":
        assert box[1] >= 0.12 * H and centre < 0.3 * H
    else:
        assert abs(centre - H / 2) < 0.08 * H
