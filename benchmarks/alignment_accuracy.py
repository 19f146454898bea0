"""Benchmark: word-start accuracy of the local aligners against known word starts.

Ad scripts (four or five lines each) are spoken by the local espeak voice into voice tracks
built like the ``audio`` stage's (each line at its segment's start, silence between lines);
espeak's own word events give every word's true start. Each track is aligned from its
script alone, and the error of each word's start is the distance to the true one.

English is aligned with pocketsphinx (the method the captions stage uses for English) and,
for comparison, with the speech-activity fallback; the fallback is measured on German,
Spanish, French, Russian, Japanese, Chinese, Arabic and Hindi (the method used for them).

    .venv/bin/python benchmarks/alignment_accuracy.py

Prints one row per language and method (words, median, 90th percentile and worst start error
in ms, wall and CPU seconds to align, ffmpeg's decoding not in the CPU figure), then totals per
method; the last line printed is one JSON object
with the figures. Targets: median <= 80 ms (English), <= 150 ms (fallback).
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.utils.speech import spoken_track  # noqa: E402
from ugen.providers.base import WordAligner  # noqa: E402
from ugen.providers.local.alignment import (  # noqa: E402
    PocketsphinxAligner,
    SpeechActivityAligner,
)

SCRIPTS: dict[str, list[str]] = {
    "en": [
        "Meet the GlowBerry serum, your new morning ritual.",
        "Tired of dull skin that never seems to wake up?",
        "Just two drops, pressed in gently, and it sinks in within 30 seconds.",
        "My skin looks brighter and feels softer every single day.",
        "Tap the link and get yours today with 20% off!",
    ],
    "de": [
        "Kennst du das Gefühl, morgens müde auszusehen?",
        "Dieses Serum zieht in Sekunden ein und duftet herrlich.",
        "Meine Haut wirkt jeden Tag frischer und glatter.",
        "Hol es dir jetzt mit zwanzig Prozent Rabatt!",
    ],
    "es": [
        "¿Cansada de que tu piel se vea apagada por la mañana?",
        "Con solo dos gotas de este sérum, todo cambia.",
        "Se absorbe rápido y deja la piel suave y luminosa.",
        "¡Pídelo hoy y consigue un veinte por ciento de descuento!",
    ],
    "fr": [
        "Vous aussi, vous avez la peau terne le matin ?",
        "Deux gouttes de ce sérum, et tout change en quelques secondes.",
        "Ma peau est plus douce et plus lumineuse chaque jour.",
        "Cliquez sur le lien et profitez de vingt pour cent de remise !",
    ],
    "ru": [
        "Знакомо чувство, когда кожа утром выглядит уставшей?",
        "Всего две капли этой сыворотки, и всё меняется.",
        "Она быстро впитывается и приятно пахнет.",
        "Закажите сегодня и получите скидку двадцать процентов!",
    ],
    "ja": [
        "あさ の はだ が くすんで みえる こと、 ありませんか？",
        "この セラム を ふたてき つける だけ で、 すぐ に なじみます。",
        "まいにち はだ が やわらかく なりました。",
        "いま なら にじゅっパーセント オフ です！",
    ],
    "zh": [
        "你是不是每天早上都觉得皮肤很暗淡？",
        "这款精华只要两滴，马上就能吸收。",
        "我的皮肤每天都更有光泽，也更柔软。",
        "现在点击链接，立享八折优惠！",
    ],
    "ar": [
        "هل تشعرين أن بشرتك باهتة في الصباح؟",
        "قطرتان فقط من هذا السيروم وكل شيء يتغير.",
        "أصبحت بشرتي أنعم وأكثر إشراقا كل يوم.",
        "اطلبيه اليوم واحصلي على خصم عشرين بالمئة!",
    ],
    "hi": [
        "क्या सुबह आपकी त्वचा भी थकी हुई दिखती है?",
        "इस सीरम की बस दो बूंदें, और सब बदल जाता है।",
        "मेरी त्वचा हर दिन और मुलायम लगती है।",
        "आज ही ऑर्डर करें और बीस प्रतिशत की छूट पाएं!",
    ],
}


def start_errors_ms(aligner: WordAligner, language: str,
                    work: Path) -> tuple[list[float], float, float]:
    """Each word's start error in ms on the script of ``language``; wall and CPU seconds."""
    track = spoken_track(SCRIPTS[language], language, work / f"{language}.wav")
    began, cpu = time.perf_counter(), time.process_time()
    found = aligner.align(track.path, track.lines, language=language)
    seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
    assert [w.text for w in found.words] == [w.text for w in track.truth]
    return [abs(a.start - b.start) * 1000 for a, b in zip(found.words, track.truth,
                                                           strict=True)], seconds, cpu


def _row(name: str, errors: list[float], seconds: tuple[float, float] | None = None) -> str:
    e = np.asarray(errors)
    took = f"{seconds[0]:8.2f}{seconds[1]:7.2f}" if seconds is not None else ""
    return (f"{name:<28}{len(e):>6}{np.median(e):>10.0f}{np.percentile(e, 90):>9.0f}"
            f"{e.max():>9.0f}{took}")


def main() -> None:
    runs: list[tuple[str, str, WordAligner]] = [("en", "pocketsphinx", PocketsphinxAligner())]
    runs += [(lang, "speech-activity", SpeechActivityAligner()) for lang in SCRIPTS]
    totals: dict[str, list[float]] = {"en_pocketsphinx": [], "fallback": []}
    print(f"{'language / method':<28}{'words':>6}{'median':>10}{'p90':>9}{'worst':>9}"
          f"{'wall s':>8}{'cpu s':>7}")
    with tempfile.TemporaryDirectory(prefix="ugen-align-bench-") as tmp:
        for language, method, aligner in runs:
            errors, seconds, cpu = start_errors_ms(aligner, language, Path(tmp))
            print(_row(f"{language} / {method}", errors, (seconds, cpu)))
            if method == "pocketsphinx":
                totals["en_pocketsphinx"] += errors
            elif language != "en":
                totals["fallback"] += errors
            else:
                totals["en_fallback"] = errors
    print("totals (ms)")
    figures: dict[str, float] = {}
    for name, errors in totals.items():
        print(_row(name, errors))
        figures[f"{name}_median_ms"] = round(float(np.median(errors)), 1)
        figures[f"{name}_p90_ms"] = round(float(np.percentile(errors, 90)), 1)
    figures["fallback_words"] = len(totals["fallback"])
    figures["en_words"] = len(totals["en_pocketsphinx"])
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
