"""The ASS script: highlight timing, no overlapping groups, styles, options, fonts."""

from __future__ import annotations

import itertools
import random
from collections import defaultdict
from pathlib import Path

import pysubs2
import pytest
from captions_helpers import HAS_LIBASS, highlight_spans, literal, words_from
from pydantic import ValidationError

from ugen.captions import CaptionOptions, build_ass, family_for_language, write_ass
from ugen.captions.fonts import find_font
from ugen.catalog import CAPTION_STYLES, LANGUAGES
from ugen.providers.base import WordTiming

VOCAB = ("glow", "serum", "skin", "honestly", "my", "routine", "is", "so", "much", "better",
         "hydration", "wow", "look", "at", "this", "texture", "a", "dermatologist-approved")


def long_script(seed: int = 7, count: int = 240) -> list[WordTiming]:
    """A long, irregularly timed script: sub-centisecond times, pauses, sentence ends."""
    rng = random.Random(seed)
    words: list[WordTiming] = []
    t = 0.137
    for i in range(count):
        text = rng.choice(VOCAB)
        if i % 9 == 8:
            text += rng.choice(".!?")
        elif i % 5 == 4:
            text += ","
        dur = rng.uniform(0.11, 0.62)
        words.append(WordTiming(text, round(t, 4), round(t + dur, 4)))
        t += dur + (rng.uniform(0.7, 1.4) if rng.random() < 0.08 else rng.uniform(0.0, 0.15))
    return words


@pytest.mark.parametrize("style", CAPTION_STYLES)
def test_each_word_is_highlighted_exactly_during_its_timing(style: str, tmp_path: Path) -> None:
    words = long_script()
    out = write_ass(words, language="en", width=1080, height=1920, style=style,
                    out=tmp_path / "c.ass")
    subs = pysubs2.load(str(out))
    spans = highlight_spans(subs, style)
    assert len(spans) == len(words)
    for (start, end, text), word in zip(spans, words, strict=True):
        assert text == word.text
        assert abs(start / 1000 - word.start) <= 0.010, (word, start)
        assert abs(end / 1000 - word.end) <= 0.010, (word, end)
    # the last word of an 80-second script is still on time (no accumulated rounding)
    assert words[-1].end > 60


@pytest.mark.parametrize("style", CAPTION_STYLES)
def test_no_two_groups_are_shown_at_once(style: str) -> None:
    words = long_script(seed=3)
    subs = build_ass(words, language="en", width=1080, height=1920, style=style)
    by_layer: dict[int, list[pysubs2.SSAEvent]] = defaultdict(list)
    for ev in subs.events:
        assert ev.end > ev.start
        by_layer[ev.layer].append(ev)
    for events in by_layer.values():
        events.sort(key=lambda e: e.start)
        for a, b in itertools.pairwise(events):
            assert a.end <= b.start, (a, b)
    # every highlight sits inside the group event that shows the same text
    base_layer = 1 if style == "boxed_highlight" else 0
    groups = sorted((ev for ev in subs.events if ev.layer == base_layer and ev.style == "Caption"),
                    key=lambda e: e.start)
    for ev in subs.events:
        owner = [g for g in groups if g.start <= ev.start and ev.end <= g.end]
        assert len(owner) == 1
        assert literal(owner[0].text) == literal(ev.text)


def test_groups_start_on_their_first_word_and_fill_only_small_gaps() -> None:
    words = [WordTiming("One.", 0.5, 0.9), WordTiming("Two.", 1.2, 1.6),
             WordTiming("Three.", 4.0, 4.5)]
    subs = build_ass(words, language="en", width=1080, height=1920)
    groups = sorted((ev for ev in subs.events if ev.layer == 0), key=lambda e: e.start)
    assert [(g.start, g.end) for g in groups] == [(500, 1200), (1200, 1900), (4000, 4800)]


@pytest.mark.parametrize("style", CAPTION_STYLES)
@pytest.mark.parametrize("language", ["en", "ar", "he", "ja", "zh", "ko", "hi", "ta", "ru", "el"])
def test_every_style_writes_valid_ass(style: str, language: str, tmp_path: Path) -> None:
    words = words_from("one two three four five six seven")
    out = write_ass(words, language=language, width=720, height=1280, style=style,
                    out=tmp_path / "x" / "c.ass")
    subs = pysubs2.load(str(out))
    assert subs.info["PlayResX"] == "720" and subs.info["PlayResY"] == "1280"
    assert subs.styles["Caption"].fontname == family_for_language(language)
    assert subs.styles["Caption"].bold
    if style == "boxed_highlight":
        assert subs.styles["CaptionBox"].borderstyle == 3
    assert len(highlight_spans(subs, style)) == len(words)
    assert not list(tmp_path.glob("x/.*"))  # no temporary file left behind


def test_unknown_style_raises() -> None:
    with pytest.raises(ValueError, match="caption_style"):
        build_ass(words_from("hi"), language="en", width=1080, height=1920, style="comic_sans")


def test_unknown_language_raises() -> None:
    with pytest.raises(ValueError, match="language"):
        build_ass(words_from("hi"), language="xx", width=1080, height=1920)


def test_no_words_gives_an_empty_but_valid_script() -> None:
    subs = build_ass([], language="en", width=1080, height=1920)
    assert subs.events == [] and "Caption" in subs.styles


def test_non_finite_time_raises() -> None:
    with pytest.raises(ValueError, match="non-finite"):
        build_ass([WordTiming("x", float("nan"), 1.0)], language="en", width=1080, height=1920)


def test_options_are_validated() -> None:
    with pytest.raises(ValidationError):
        CaptionOptions(primary_colour="red")
    with pytest.raises(ValidationError):
        CaptionOptions(highlight_colour="#12345G")
    with pytest.raises(ValidationError):
        CaptionOptions(position="left")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        CaptionOptions(font_size=2)
    with pytest.raises(ValidationError):
        CaptionOptions.model_validate({"font_colour": "#FFFFFF"})
    assert CaptionOptions(outline_colour="#a0b0c0").outline_colour == "#A0B0C0"


def test_options_are_applied() -> None:
    options = CaptionOptions(font_size=100, primary_colour="#102030", highlight_colour="#00FF00",
                             outline_colour="#FF0000", position="top", uppercase=True)
    subs = build_ass(words_from("make it pop"), language="en", width=540, height=960,
                     options=options)
    style = subs.styles["Caption"]
    assert style.fontsize == 50  # 100 at a 1080 short side, 540 here
    assert (style.primarycolor.r, style.primarycolor.g, style.primarycolor.b) == (0x10, 0x20, 0x30)
    assert (style.outlinecolor.r, style.outlinecolor.g, style.outlinecolor.b) == (255, 0, 0)
    assert style.alignment == pysubs2.Alignment.TOP_CENTER
    assert any("\\1c&H00FF00&" in ev.text for ev in subs.events)
    assert [literal(ev.text) for ev in subs.events if ev.layer == 0] == ["MAKE IT POP"]
    middle = build_ass(words_from("hi"), language="en", width=540, height=960,
                       options=CaptionOptions(position="middle"))
    assert middle.styles["Caption"].alignment == pysubs2.Alignment.MIDDLE_CENTER


def test_turkish_uppercase_keeps_the_dotted_i() -> None:
    subs = build_ass(words_from("istanbul"), language="tr", width=540, height=960,
                     options=CaptionOptions(uppercase=True))
    assert literal(subs.events[0].text) == "İSTANBUL"


@pytest.mark.skipif(not HAS_LIBASS, reason="needs fontconfig and the Noto fonts")
@pytest.mark.parametrize(("language", "family"), [
    ("en", "Noto Sans"), ("ru", "Noto Sans"), ("el", "Noto Sans"), ("ar", "Noto Sans Arabic"),
    ("he", "Noto Sans Hebrew"), ("hi", "Noto Sans Devanagari"), ("ta", "Noto Sans Tamil"),
    ("ja", "Noto Sans CJK JP"), ("zh", "Noto Sans CJK SC"), ("ko", "Noto Sans CJK KR"),
])
def test_font_per_language_is_installed_under_that_exact_name(language: str, family: str) -> None:
    assert family_for_language(language) == family
    font = find_font(family)
    assert font is not None and font.family == family and font.path.exists()


def test_every_catalog_language_has_a_font() -> None:
    for lang in LANGUAGES:
        assert family_for_language(lang.code).startswith("Noto Sans")
