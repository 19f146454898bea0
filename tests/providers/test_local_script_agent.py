"""The offline script agent: structure, timing budget, custom scripts and the keyframe plan."""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

import pytest

from ugen.catalog import (
    INTERACTION_MODES,
    SCRIPT_STRUCTURES,
    SCRIPT_TONES,
    find_persona,
    voices,
)
from ugen.providers.base import PermanentProviderError, Script, ScriptRequest
from ugen.providers.local.script_agent import (
    PHASES,
    LocalScriptAgent,
    max_words,
    phase_plan,
    split_custom_script,
    spoken_length,
)
from ugen.providers.local.voice import LocalVoiceProvider

SHOT_TYPES = {"wide", "medium", "medium close-up", "product close-up"}


def request(**changes: object) -> ScriptRequest:
    persona = find_persona("maya")
    assert persona is not None
    base = ScriptRequest(
        product_name="GlowDrop Serum",
        product_image=Path("product.png"),
        persona=persona,
        segment_count=5,
        segment_duration=8.0,
        language="en",
        interaction_mode="holdable",
        script_structure="standard_5phase",
        script_tone="conversational",
        key_selling_points=("24-hour hydration", "fragrance-free formula", "works under makeup"),
        cta_text="Shop now and get 20% off.",
        environment_description="a bright bathroom with a marble vanity",
        seed=1,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def agent() -> LocalScriptAgent:
    return LocalScriptAgent()


def spoken(script: Script) -> str:
    """Everything the script says, line after line."""
    return " ".join(line.text for line in script.lines)


def phase_rank(phase: str) -> int:
    return PHASES.index(phase)


def test_max_words_leaves_air() -> None:
    assert max_words(8.0) == 17  # (8 - 0.6) * 2.3 = 17.02
    assert max_words(5.0) == 10
    assert max_words(10.0) == 21
    assert max_words(0.5) == 1


def test_spoken_length_counts_numbers_and_pauses() -> None:
    assert spoken_length("Hello there") == 2
    assert spoken_length("It costs $19.99, really.") > 6  # "nineteen point nine nine dollars"
    assert spoken_length("Wow. Okay.") == 2.8  # a full stop inside the line takes time
    assert spoken_length("fragrance-free") == 2
    assert spoken_length("— —") == 2  # never less than the word count


def test_lines_fit_their_segment_when_spoken(agent: LocalScriptAgent, tmp_path: Path) -> None:
    # The slowest catalog voice, unshaped (shaping never changes timing).
    slowest = min(voices().values(), key=lambda v: v.rate_wpm).model_copy(
        update={"pitch_semitones": 0.0, "formant_shift": 1.0})
    voice = LocalVoiceProvider()
    for structure, tone in [("standard_5phase", "energetic"), ("problem_solution", "professional")]:
        script = agent.write_script(request(segment_duration=5.0, script_structure=structure,
                                            script_tone=tone))
        for line in script.lines:
            speech = voice.synthesize(line.text, language="en", voice=slowest,
                                      out_path=tmp_path / "line.wav")
            assert speech.words[-1].end <= line.target_duration_s - 0.3, line.text


@pytest.mark.parametrize("count", [1, 2, 3, 4, 5, 6, 7, 10, 12])
def test_phase_plan_keeps_every_phase_in_order(count: int) -> None:
    for structure in SCRIPT_STRUCTURES:
        plan = phase_plan(count, structure)
        assert len(plan) == count
        flat = [p for group in plan for p in group]
        assert sorted(set(flat), key=phase_rank) == list(PHASES)
        assert [phase_rank(p) for p in flat] == sorted(phase_rank(p) for p in flat)
    assert phase_plan(2, "standard_5phase") == (("hook", "problem"), ("demo", "benefit", "cta"))


def test_standard_script_reads_like_an_ad(agent: LocalScriptAgent) -> None:
    script = agent.write_script(request())
    assert [line.phase for line in script.lines] == list(PHASES)
    assert script.language == "en"
    text = spoken(script)
    assert "GlowDrop Serum" in text
    assert "Shop now and get 20% off." in script.lines[-1].text
    assert sum(point in text for point in request().key_selling_points) >= 2
    for line in script.lines:
        assert line.text == " ".join(line.text.split())
        assert line.text[0].isupper() and line.text[-1] in ".!?"
        assert line.target_duration_s == 8.0


@pytest.mark.parametrize(
    ("structure", "tone"), list(itertools.product(SCRIPT_STRUCTURES, SCRIPT_TONES))
)
def test_every_line_fits_its_segment(
    agent: LocalScriptAgent, structure: str, tone: str
) -> None:
    for count, duration in [(1, 8.0), (1, 4.0), (2, 5.0), (3, 8.0), (4, 6.0), (5, 8.0),
                            (6, 5.0), (8, 8.0), (10, 8.0), (10, 3.0)]:
        script = agent.write_script(request(script_structure=structure, script_tone=tone,
                                            segment_count=count, segment_duration=duration))
        assert len(script.lines) == count
        assert [line.segment_index for line in script.lines] == list(range(count))
        ranks = [phase_rank(line.phase) for line in script.lines]
        assert ranks == sorted(ranks)
        budget = max_words(duration)
        for line in script.lines:
            words = len(line.text.split())
            assert 1 <= words <= budget, (count, duration, line.text)
        if count >= 5:
            assert {line.phase for line in script.lines} == set(PHASES)
            # Lines of one phase never repeat each other.
            assert len({line.text for line in script.lines}) == count
        # Long segments are not left mostly silent.
        if duration >= 8.0:
            assert sum(len(line.text.split()) for line in script.lines) >= 0.6 * budget * count


def test_structures_and_tones_change_the_wording(agent: LocalScriptAgent) -> None:
    texts = {
        (s, t): spoken(agent.write_script(request(script_structure=s, script_tone=t)))
        for s in SCRIPT_STRUCTURES
        for t in SCRIPT_TONES
    }
    assert len(set(texts.values())) == len(texts)
    energetic = texts[("standard_5phase", "energetic")]
    professional = texts[("standard_5phase", "professional")]
    assert energetic.count("!") > professional.count("!")


def test_short_and_long_scripts(agent: LocalScriptAgent) -> None:
    one = agent.write_script(request(segment_count=1))
    assert len(one.lines) == 1
    assert "GlowDrop Serum" in one.lines[0].text  # condensed, but still names the product
    assert "Shop now and get 20% off." in one.lines[0].text

    two = agent.write_script(request(segment_count=2))
    assert [line.phase for line in two.lines] == ["hook", "demo"]
    assert two.lines[1].text.endswith("Shop now and get 20% off.")

    ten = agent.write_script(request(segment_count=10))
    phases = [line.phase for line in ten.lines]
    assert phases[0] == "hook" and phases[-1] == "cta"
    assert phases.count("demo") >= 2 and phases.count("benefit") >= 2


def test_deterministic_per_seed(agent: LocalScriptAgent) -> None:
    a = agent.write_script(request(seed=5, segment_count=6))
    b = agent.write_script(request(seed=5, segment_count=6))
    assert a == b
    others = {spoken(agent.write_script(request(seed=s, segment_count=6))) for s in range(6)}
    assert len(others) >= 4


def test_custom_script_is_used_as_written(agent: LocalScriptAgent) -> None:
    custom = (
        "I almost skipped this one.   Big mistake! The GlowDrop Serum sinks in fast, "
        "smells like nothing, and my makeup sits better on top. Two weeks in, my skin\n"
        "looks brighter; honestly, people noticed. Try it for yourself, the link is below."
    )
    normalised = " ".join(custom.split())
    for count in (1, 2, 3, 4, 5, 7):
        script = agent.write_script(request(custom_script=custom, segment_count=count,
                                            language="en-GB"))
        assert script.language == "en-GB"
        assert len(script.lines) == count
        assert " ".join(line.text for line in script.lines) == normalised
        assert all(line.text for line in script.lines)
    for count in (3, 4, 5):
        script = agent.write_script(request(custom_script=custom, segment_count=count))
        # Cuts land on sentence or clause ends, and every line fits its segment.
        assert all(line.text[-1] in ".!?,;" for line in script.lines)
        assert all(len(line.text.split()) <= max_words(8.0) for line in script.lines)
    two = agent.write_script(request(custom_script=custom, segment_count=2))
    assert [line.text[-1] for line in two.lines] == [".", "."]  # whole sentences when balanced
    five = agent.write_script(request(custom_script=custom, segment_count=5))
    sizes = [len(line.text.split()) for line in five.lines]
    assert max(sizes) - min(sizes) <= 4


def test_custom_script_split_falls_back_to_clauses_and_words() -> None:
    one_sentence = ("this serum is light, it sinks in fast, it smells of nothing at all, "
                    "and it works under makeup every single day without any fuss")
    lines = split_custom_script(one_sentence, 3, budget=17)
    assert " ".join(lines) == one_sentence
    assert all(line.endswith(",") or line is lines[-1] for line in lines)
    words = "one two three four five six seven eight nine ten"
    assert split_custom_script(words, 2, budget=17) == ["one two three four five",
                                                         "six seven eight nine ten"]
    chinese = "这个精华真的很好用。我每天都用它，皮肤变得更亮了。快去试试吧！"
    parts = split_custom_script(chinese, 3, budget=17)
    assert "".join(parts) == chinese and all(parts)
    assert parts[0].endswith("。")
    with pytest.raises(PermanentProviderError, match="too few"):
        split_custom_script("Just three words", 4, budget=17)


@pytest.mark.parametrize("language", ["es", "fr", "de", "pt", "pt-BR"])
def test_templates_in_other_languages(agent: LocalScriptAgent, language: str) -> None:
    english = spoken(agent.write_script(request()))
    script = agent.write_script(request(language=language, cta_text=None))
    assert script.language == language
    assert len(script.lines) == 5
    assert spoken(script) != english
    assert "GlowDrop Serum" in spoken(script) or "Maya" in spoken(script)
    for line in script.lines:
        assert len(line.text.split()) <= max_words(8.0)


def test_languages_without_templates_fall_back_to_english(agent: LocalScriptAgent) -> None:
    script = agent.write_script(request(language="ja"))
    assert script.language == "en"
    assert spoken(script) == spoken(agent.write_script(request()))


@pytest.mark.parametrize("mode", INTERACTION_MODES)
def test_keyframe_plan(agent: LocalScriptAgent, mode: str) -> None:
    for count in (1, 3, 5, 8):
        script = agent.write_script(request(interaction_mode=mode, segment_count=count))
        shots = script.keyframes
        assert len(shots) == count + 1
        assert [s.index for s in shots] == list(range(count + 1))
        anchor = shots[0]
        assert (anchor.shot_type, anchor.camera_angle, anchor.expression) == (
            "medium", "eye level", "friendly")
        assert "establishing" in anchor.prompt
        assert len(script.segment_prompts) == count
        for s in shots:
            assert s.shot_type in SHOT_TYPES
            assert "GlowDrop Serum" in s.prompt and "Maya" in s.prompt
            assert "marble vanity" in s.prompt  # the requested environment, in every shot
            assert s.product_interaction in s.prompt
            assert len(s.prompt.split()) > 30
        for a, b in itertools.pairwise(shots):
            assert a.shot_type != b.shot_type  # every cut changes the framing
        if count >= 3:
            assert "product close-up" in {s.shot_type for s in shots}
        for prompt, a, b in zip(script.segment_prompts, shots, shots[1:], strict=False):
            assert a.product_interaction in prompt and b.product_interaction in prompt
    static = agent.write_script(request(interaction_mode=mode, segment_count=5))
    interactions = " ".join(s.product_interaction for s in static.keyframes)
    if mode == "display_static":
        assert "on the vanity" in interactions and "holding" not in interactions
    if mode == "holdable":
        assert "holding" in interactions
    if mode == "applied":
        assert "applying" in interactions or "texture" in interactions or "amount" in interactions


def test_keyframes_default_environment_and_persona_words(agent: LocalScriptAgent) -> None:
    leo = find_persona("leo")
    assert leo is not None
    script = agent.write_script(request(persona=leo, environment_description=None,
                                        interaction_mode="display_static"))
    prompt = script.keyframes[0].prompt
    assert "Leo" in prompt and "blue top" in prompt and "brown hair" in prompt
    assert "#" not in prompt
    assert agent.write_script(request(persona=leo, environment_description=None,
                                      interaction_mode="display_static")) == script


def test_invalid_requests_fail_clearly(agent: LocalScriptAgent) -> None:
    with pytest.raises(PermanentProviderError, match="segment_count"):
        agent.write_script(request(segment_count=0))
    with pytest.raises(PermanentProviderError, match="script structure"):
        agent.write_script(request(script_structure="epic_poem"))
    with pytest.raises(PermanentProviderError, match="tone"):
        agent.write_script(request(script_tone="grumpy"))
    with pytest.raises(PermanentProviderError, match="too few"):
        agent.write_script(request(custom_script="Buy it now.", segment_count=5))
