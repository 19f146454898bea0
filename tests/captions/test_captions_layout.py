"""Caption groups and lines: sentence ends, pauses, line limits, safe areas."""

from __future__ import annotations

import pytest
from captions_helpers import RLM, literal, words_from

from ugen.captions import build_ass
from ugen.captions.builder import split_word
from ugen.captions.escape import WORD_JOINER
from ugen.captions.layout import (
    PAUSE_SPLIT_S,
    break_lines,
    ends_sentence,
    frame_layout,
    group_words,
    rules_for,
    text_units,
)
from ugen.providers.base import WordTiming

SENTENCES = {
    "en": "I was so tired of dull skin. Then I found this serum! Does it work? "
    "Honestly, it changed everything for me in a week. \"Try it.\" You will love it…",
    "ar": "هل جربت هذا السيروم؟ إنه رائع جدا. بشرتي أصبحت أنعم في أسبوع واحد فقط!",
    "he": "ניסיתם את הסרום הזה? הוא מדהים. העור שלי נהיה רך יותר תוך שבוע אחד בלבד!",
    "hi": "यह सीरम बहुत अच्छा है। मेरी त्वचा एक हफ्ते में बदल गई। आप भी आज़माइए!",
}


@pytest.mark.parametrize("language", sorted(SENTENCES))
@pytest.mark.parametrize("size", [(540, 960), (1080, 1080), (1920, 1080)])
def test_groups_never_cross_a_sentence_end(language: str, size: tuple[int, int]) -> None:
    words = words_from(SENTENCES[language])
    subs = build_ass(words, language=language, width=size[0], height=size[1])
    groups = [literal(ev.text).replace(" | ", " ").split(" ") for ev in subs.events
              if ev.layer == 0]
    assert sum(len(g) for g in groups) == len(words)
    assert [w for g in groups for w in g] == [w.text for w in words]
    for group in groups:
        assert not any(ends_sentence(w) for w in group[:-1]), group


def test_a_long_pause_starts_a_new_group() -> None:
    texts = ["one", "two", "three", "four"]
    starts = [0.0, 0.4, 0.8 + PAUSE_SPLIT_S + 0.05, 1.6 + PAUSE_SPLIT_S]
    ends = [0.35, 0.75, starts[2] + 0.35, starts[3] + 0.35]
    rules = rules_for(frame_layout(1080, 1920), spaced=True)
    assert group_words(texts, starts, ends, rules) == [range(0, 2), range(2, 4)]


def test_short_pause_keeps_group() -> None:
    texts = ["one", "two", "three"]
    rules = rules_for(frame_layout(1080, 1920), spaced=True)
    assert group_words(texts, [0.0, 0.9, 1.8], [0.5, 1.4, 2.2], rules) == [range(0, 3)]


@pytest.mark.parametrize(("size", "max_words", "max_units"), [
    ((1080, 1920), 3, 24), ((1080, 1080), 4, 28), ((1920, 1080), 6, 42),
])
def test_lines_respect_the_limits_of_the_aspect_ratio(
    size: tuple[int, int], max_words: int, max_units: int
) -> None:
    text = ("Okay so this little bottle of vitamin serum is honestly the best thing I bought "
            "all year and my friends keep asking about it every single day")
    subs = build_ass(words_from(text), language="en", width=size[0], height=size[1])
    for ev in subs.events:
        lines = literal(ev.text).split(" | ")
        assert 1 <= len(lines) <= 2
        for line in lines:
            assert len(line.split(" ")) <= max_words
            assert text_units(line) <= max_units


def test_lines_are_balanced() -> None:
    rules = rules_for(frame_layout(1080, 1920), spaced=True)
    assert break_lines(["this", "is", "really", "good"], rules) == [[0, 1], [2, 3]]


def test_cjk_units_are_joined_without_spaces() -> None:
    words = [WordTiming(t, 0.2 + 0.4 * i, 0.5 + 0.4 * i)
             for i, t in enumerate(["这款", "精华", "真的", "太好用了", "！"])]
    subs = build_ass(words, language="zh", width=1080, height=1920)
    base = [literal(ev.text) for ev in subs.events if ev.layer == 0]
    assert base == ["这款精华真的太好用了！"]
    ko = build_ass(words_from("이 세럼 정말 좋아요"), language="ko", width=1080, height=1920)
    assert [literal(ev.text) for ev in ko.events if ev.layer == 0] == ["이 세럼 | 정말 좋아요"]


def test_safe_area_of_vertical_video_keeps_clear_of_platform_ui() -> None:
    frame = frame_layout(1080, 1920)
    assert 0.22 * 1920 <= frame.margin_bottom <= 0.25 * 1920
    assert 0.08 * 1080 <= frame.margin_left == frame.margin_right <= 0.10 * 1080
    subs = build_ass(words_from("hello there"), language="en", width=1080, height=1920)
    assert subs.info["PlayResX"] == "1080" and subs.info["PlayResY"] == "1920"
    style = subs.styles["Caption"]
    assert style.marginv == frame.margin_bottom
    assert style.marginl == frame.margin_left and style.marginr == frame.margin_right
    for width, height in [(1920, 1080), (1080, 1080)]:
        other = frame_layout(width, height)
        assert 0.05 * height <= other.margin_bottom <= 0.15 * height
        assert 0.05 * width <= other.margin_left <= 0.10 * width


def test_right_to_left_lines_start_with_rlm_and_keep_logical_order() -> None:
    words = words_from("הסרום הזה מדהים")
    subs = build_ass(words, language="he", width=1080, height=1920)
    (base,) = [ev for ev in subs.events if ev.layer == 0]
    assert base.text == RLM + "הסרום הזה מדהים"
    assert subs.styles["Caption"].encoding == -1
    assert WORD_JOINER not in base.text


@pytest.mark.parametrize("word", ["प्रतिस्पर्धात्मकता", "Donaudampfschifffahrt", "والمستحضرات",
                                  "这是一个非常长的句子"])
@pytest.mark.parametrize("count", [2, 3])
def test_split_word_keeps_clusters_whole(word: str, count: int) -> None:
    import unicodedata

    pieces = split_word(word, count)
    assert "".join(pieces) == word and len(pieces) == count
    for piece in pieces[1:]:
        assert not unicodedata.combining(piece[0])
        assert unicodedata.category(piece[0]) not in ("Mn", "Mc")
    for piece in pieces[:-1]:
        assert unicodedata.combining(piece[-1]) != 9  # no conjunct cut after a virama
