"""Offline script agent: seeded templates that write a UGC ad script and plan its keyframes.

A script is ``segment_count`` spoken lines, one per video segment. The phases of the structure
(hook, problem, demo, benefit, cta) are spread over the lines: with fewer lines than phases,
neighbouring phases share a line; with more, the middle phases get several lines, each with
different wording. Every line is built to be spoken inside its segment (see ``_pacing``).
A ``custom_script`` is never rewritten, only split into lines (``_custom``).

The package, by concept: ``_pacing`` (phases per line, words per segment, spoken length),
``_phrases`` (the template tables), ``_writer`` (lines from the templates), ``_custom`` (the
custom-script splitter), ``_persona`` (plain words for a persona's looks) and ``_planner``
(the keyframe plan and motion prompts). This module validates the request and puts them
together.
"""

from __future__ import annotations

import math
import random
import re

from ugen.catalog import INTERACTION_MODES, SCRIPT_STRUCTURES, SCRIPT_TONES
from ugen.providers.base import (
    PermanentProviderError,
    Script,
    ScriptLine,
    ScriptPhase,
    ScriptRequest,
)
from ugen.providers.local.script_agent._custom import split_custom_script
from ugen.providers.local.script_agent._pacing import (
    AIR_S,
    PHASES,
    PROVIDER,
    WORDS_PER_SECOND,
    max_words,
    phase_plan,
    spoken_length,
)
from ugen.providers.local.script_agent._persona import (
    colour_words,
    hair_words,
    persona_words,
    skin_words,
)
from ugen.providers.local.script_agent._phrases import TEMPLATE_LANGUAGES
from ugen.providers.local.script_agent._planner import KeyframePlanner
from ugen.providers.local.script_agent._writer import LineWriter

__all__ = [
    "AIR_S",
    "PHASES",
    "PROVIDER",
    "TEMPLATE_LANGUAGES",
    "WORDS_PER_SECOND",
    "LocalScriptAgent",
    "colour_words",
    "hair_words",
    "max_words",
    "persona_words",
    "phase_plan",
    "skin_words",
    "split_custom_script",
    "spoken_length",
]


def _validate(request: ScriptRequest) -> None:
    problems = []
    if request.segment_count < 1:
        problems.append(f"segment_count must be at least 1, got {request.segment_count}")
    if not (request.segment_duration > 0 and math.isfinite(request.segment_duration)):
        problems.append(f"segment_duration must be positive, got {request.segment_duration}")
    if request.script_structure not in SCRIPT_STRUCTURES:
        problems.append(f"unknown script structure {request.script_structure!r}")
    if request.script_tone not in SCRIPT_TONES:
        problems.append(f"unknown script tone {request.script_tone!r}")
    if request.interaction_mode not in INTERACTION_MODES:
        problems.append(f"unknown interaction mode {request.interaction_mode!r}")
    if not request.product_name.strip():
        problems.append("product_name is empty")
    if request.custom_script is not None and not request.custom_script.strip():
        problems.append("custom_script is empty")
    if problems:
        raise PermanentProviderError("; ".join(problems), provider=PROVIDER)


def _base_language(language: str) -> str:
    return re.split(r"[-_]", language.strip().lower())[0] if language.strip() else "en"


class LocalScriptAgent:
    """Offline :class:`~ugen.providers.base.ScriptAgent` on seeded templates."""

    def write_script(self, request: ScriptRequest) -> Script:
        """Write the lines, keyframe plan and motion prompts for ``request``.

        The same request (seed included) always gives the same script. Without a custom
        script, lines are written in the request's language where templates exist (en, es,
        fr, de, pt) and in English otherwise; ``Script.language`` says which.

        Raises:
            PermanentProviderError: an invalid request, or a custom script with fewer words
                than segments.
        """
        _validate(request)
        rng = random.Random(
            f"ugen-script|{request.seed}|{request.product_name}|{request.script_structure}|"
            f"{request.script_tone}|{request.segment_count}|{request.persona.id}"
        )
        budget = max_words(request.segment_duration)
        plan = phase_plan(request.segment_count, request.script_structure)
        line_phases: list[ScriptPhase] = [group[0] for group in plan]

        if request.custom_script is not None:
            language = request.language
            texts = split_custom_script(request.custom_script, request.segment_count, budget)
        else:
            base = _base_language(request.language)
            language = request.language if base in TEMPLATE_LANGUAGES else "en"
            writer = LineWriter(request, base if base in TEMPLATE_LANGUAGES else "en", rng)
            texts = [writer.line(group, budget) for group in plan]

        lines = tuple(
            ScriptLine(segment_index=i, phase=line_phases[i], text=text,
                       target_duration_s=request.segment_duration)
            for i, text in enumerate(texts)
        )
        keyframes, motions = KeyframePlanner(request, rng).plan(line_phases)
        return Script(lines=lines, keyframes=keyframes, language=language,
                      segment_prompts=motions)
