"""Word units for Chinese and Japanese captions, and their timings."""

from __future__ import annotations

from ugen.captions.words import retime, split_words
from ugen.providers.base import WordTiming


def test_split_words_segments_chinese_into_words() -> None:
    text = "说真的，这款精华两周就改变了我的皮肤！"
    words = split_words(text, "zh")
    assert "".join(words) == text
    assert 5 <= len(words) < len(text) - 4  # neither one block nor one character each
    assert "精华" in words and "皮肤！" in words  # punctuation stays with its word


def test_split_words_groups_japanese_particles_with_their_word() -> None:
    text = "正直、この美容液で肌が変わりました！"
    words = split_words(text, "ja")
    assert "".join(words) == text
    assert "正直、" in words and "肌が" in words
    assert words[-1].endswith("！")
    assert all(len(w) > 1 for w in words)


def test_split_words_keeps_whitespace_words_elsewhere() -> None:
    assert split_words("Honestly, try it!", "en") == ["Honestly,", "try", "it!"]


def test_retime_shares_unit_time_over_characters() -> None:
    units = [WordTiming("说真的，", 0.0, 0.8), WordTiming("这款精华", 1.0, 1.8)]
    words = retime(units, ["说真的，", "这", "款", "精华"])
    assert [(w.text, w.start, w.end) for w in words] == [
        ("说真的，", 0.0, 0.8), ("这", 1.0, 1.2), ("款", 1.2, 1.4), ("精华", 1.4, 1.8)]


def test_retime_falls_back_to_character_weights_when_texts_differ() -> None:
    units = [WordTiming("abc", 0.0, 1.0), WordTiming("xyz", 1.0, 2.0)]
    words = retime(units, ["精华", "皮肤很好"])
    assert words[0].start == 0.0 and words[-1].end == 2.0
    assert abs(words[0].end - 2.0 / 3) < 1e-3  # 2 of 6 characters
