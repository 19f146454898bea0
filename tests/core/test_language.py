"""Language detection among the 30 caption languages."""

from __future__ import annotations

import pytest

from ugen.core.language import detect_language


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("Honestly, this serum changed my skin in just two weeks. Try it!", "en"),
        ("Ehrlich gesagt hat dieses Serum meine Haut in zwei Wochen verändert.", "de"),
        ("Honnêtement, ce sérum a transformé ma peau en deux semaines.", "fr"),
        ("Szczerze mówiąc, to serum zmieniło moją skórę w dwa tygodnie.", "pl"),
        ("Этот серум изменил мою кожу всего за две недели.", "ru"),
        ("Цей серум змінив мою шкіру всього за два тижні.", "uk"),
        ("هذا السيروم غير بشرتي في أسبوعين فقط", "ar"),
        ("הסרום הזה שינה את העור שלי תוך שבועיים", "he"),
        ("这个精华液两周就改变了我的皮肤。", "zh"),
        ("この美容液で二週間で肌が変わりました。", "ja"),
        ("이 세럼이 2주 만에 내 피부를 바꿨어요.", "ko"),
        ("इस सीरम ने दो हफ्तों में मेरी त्वचा बदल दी।", "hi"),
        ("இந்த சீரம் இரண்டு வாரங்களில் என் தோலை மாற்றியது", "ta"),
        ("Αυτός ο ορός άλλαξε το δέρμα μου σε δύο εβδομάδες.", "el"),
    ],
)
def test_detect_language_finds_script_language(text: str, code: str) -> None:
    found = detect_language(text)
    assert found.language == code
    assert found.certain


def test_detect_language_reports_uncertainty_for_ambiguous_text() -> None:
    assert not detect_language("OK!").certain
    assert not detect_language("12345 !!!").certain
