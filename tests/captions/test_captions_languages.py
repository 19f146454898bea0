"""Every caption language renders with a font that has every glyph of its sample text."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ugen import catalog
from ugen.captions import family_for_language, render_frame, write_ass
from ugen.captions.fonts import find_font, missing_chars
from ugen.providers.base import WordTiming

SAMPLES = {
    "en": "Honestly, this serum changed my skin!",
    "ja": "正直、この美容液で肌が変わりました！",
    "zh": "说真的，这款精华改变了我的皮肤！",
    "de": "Ehrlich, dieses Serum hat meine Haut verändert – großartig!",
    "hi": "सच कहूँ तो इस सीरम ने मेरी त्वचा बदल दी!",
    "fr": "Franchement, ce sérum a changé ma peau, c'est génial !",
    "ko": "솔직히 이 세럼이 제 피부를 바꿨어요!",
    "pt": "Sinceramente, este sérum mudou minha pele, não é?",
    "it": "Sinceramente, questo siero ha cambiato la mia pelle: è così!",
    "es": "¡Sinceramente, este sérum cambió mi piel, señora!",
    "id": "Jujur, serum ini mengubah kulitku!",
    "nl": "Eerlijk, dit serum heeft mijn huid veranderd, één week!",
    "tr": "Açıkçası bu serum cildimi değiştirdi, çok güzel!",
    "fil": "Sa totoo lang, binago ng serum na ito ang balat ko!",
    "pl": "Szczerze, to serum zmieniło moją skórę, żółć!",
    "sv": "Ärligt talat förändrade detta serum min hud, så bra!",
    "bg": "Честно казано, този серум промени кожата ми!",
    "ro": "Sincer, acest ser mi-a schimbat pielea, înțelegi?",
    "ar": "بصراحة، هذا السيروم غيّر بشرتي!",
    "cs": "Upřímně, toto sérum změnilo mou pleť, řeč!",
    "el": "Ειλικρινά, αυτός ο ορός άλλαξε το δέρμα μου!",
    "fi": "Rehellisesti, tämä seerumi muutti ihoni, hyvä!",
    "hr": "Iskreno, ovaj serum mi je promijenio kožu, čađ!",
    "ms": "Sejujurnya, serum ini mengubah kulit saya!",
    "sk": "Úprimne, toto sérum mi zmenilo pleť, ľahko!",
    "da": "Ærligt talt ændrede dette serum min hud, så flot!",
    "ta": "உண்மையாக, இந்த சீரம் என் தோலை மாற்றியது!",
    "uk": "Чесно, ця сироватка змінила мою шкіру, ґанок!",
    "ru": "Честно, эта сыворотка изменила мою кожу, ёлки!",
    "he": "בכנות, הסרום הזה שינה את העור שלי!",
}


def test_samples_cover_every_catalog_language() -> None:
    assert set(SAMPLES) == set(catalog.languages())
    assert len(SAMPLES) == 30


@pytest.mark.parametrize("language", sorted(SAMPLES))
def test_render_caption_language_has_every_glyph(language: str, tmp_path: Path) -> None:
    text = SAMPLES[language]
    font = find_font(family_for_language(language))
    assert font is not None, family_for_language(language)
    missing = missing_chars(font, text)
    # Noto Sans Hebrew has no Latin punctuation: libass falls back (through fontconfig) to
    # the Latin caption font for those, so they must be there and be punctuation only.
    assert all(unicodedata.category(ch).startswith("P") for ch in missing), missing
    latin = find_font(family_for_language("en"))
    assert latin is not None and missing_chars(latin, "".join(missing)) == []
    spaced = language not in ("ja", "zh")
    units = text.split() if spaced else [text[i:i + 4] for i in range(0, len(text), 4)]
    words = [WordTiming(u, 0.3 * i, 0.3 * i + 0.28) for i, u in enumerate(units)]
    ass = write_ass(words, language=language, width=540, height=960, out=tmp_path / "c.ass")
    frame = render_frame(ass, tmp_path / "f.png", width=540, height=960, at=0.1)
    pixels = np.asarray(Image.open(frame).convert("L"))
    assert (pixels > 128).sum() > 500  # text was drawn
