"""What a vendor script agent asks a language model for, and how the answer becomes a Script.

The model answers a :class:`ScriptDraft` (structured output: OpenAI ``text_format``, Gemini
``response_schema``). :func:`to_script` checks what a schema cannot say (one line and one
motion prompt per segment, ``segment_count + 1`` keyframes in order, lines short enough to
speak inside their segment, a custom script kept word for word) and raises
:class:`ScriptDraftError` with the reason; :func:`write_until_valid` asks again with that
reason, then fails the stage with it.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from pathlib import Path

from PIL import Image
from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError

from ugen.core.language import UNSPACED
from ugen.providers.base import (
    KeyframeShot,
    PermanentProviderError,
    Script,
    ScriptLine,
    ScriptPhase,
    ScriptRequest,
)
from ugen.providers.local.script_agent import (
    max_words,
    persona_words,
    phase_plan,
    split_custom_script,
    spoken_length,
)

REQUEST_MARK = "REQUEST JSON:"


class LineDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")

    segment_index: int
    phase: ScriptPhase
    text: str


class ShotDraft(BaseModel):
    model_config = ConfigDict(extra="forbid")

    index: int
    shot_type: str
    camera_angle: str
    expression: str
    product_interaction: str
    prompt: str


class ScriptDraft(BaseModel):
    """The structured answer of the model (every field required: strict JSON schema)."""

    model_config = ConfigDict(extra="forbid")

    language: str
    lines: list[LineDraft]
    keyframes: list[ShotDraft]
    segment_prompts: list[str]


class ScriptDraftError(ValueError):
    """The model's script does not fit the request; the message says why."""


INSTRUCTIONS = """\
You write short UGC (user-generated content) video ads spoken by one on-screen creator.
Answer only with the JSON object of the given schema.
- lines: exactly segment_count lines, segment_index 0..segment_count-1, spoken in order; each
  line at most max_words_per_line words (numbers count as the words they are read as), in the
  requested language, tone and structure. Phases run hook, problem, demo, benefit, cta in
  order; the last line carries the call to action.
- keyframes: exactly segment_count + 1 shots, index 0..segment_count. Shot 0 is the anchor: it
  establishes the persona (looks, outfit), the lighting and the environment, and every later
  shot keeps them. Shot i opens segment i; the last shot closes the video. Each prompt is a
  complete, self-contained photographic image prompt for a vertical smartphone UGC frame
  naming the persona, the product exactly as in the product image, the framing, the camera
  angle, the expression and what the hands do with the product.
- segment_prompts: exactly segment_count motion prompts; prompt i describes the camera and
  body motion from keyframe i to keyframe i + 1 while the creator speaks line i.
- interaction_mode says how the product appears (held, used, shown next to the creator).
- Never change the product: its shape, colours, label and text stay as in the image.
"""


def request_facts(request: ScriptRequest) -> dict[str, object]:
    """The request as the model sees it (and as the fake vendor servers read it back)."""
    return {
        "product_name": request.product_name,
        "segment_count": request.segment_count,
        "segment_duration_s": request.segment_duration,
        "max_words_per_line": max_words(request.segment_duration),
        "language": request.language,
        "interaction_mode": request.interaction_mode,
        "script_structure": request.script_structure,
        "script_tone": request.script_tone,
        "key_selling_points": list(request.key_selling_points),
        "cta_text": request.cta_text,
        "environment": request.environment_description,
        "persona": {"name": request.persona.name, "description": request.persona.description,
                    "looks": persona_words(request.persona)},
        "custom_script": request.custom_script,
    }


def user_text(request: ScriptRequest, feedback: str | None = None) -> str:
    """The user turn: the request facts, and why the previous answer was refused."""
    text = (f"Write the ad for the product in the image.\n{REQUEST_MARK} "
            f"{json.dumps(request_facts(request), ensure_ascii=False)}")
    if request.custom_script is not None:
        text += ("\nThe lines must be the custom_script word for word, split at sentence "
                 "boundaries into segment_count lines.")
    if feedback:
        text += f"\nYour previous answer was refused: {feedback}. Fix that."
    return text


def image_png(path: Path, *, long_side: int = 1024) -> bytes:
    """``path`` as PNG bytes no longer than ``long_side`` pixels.

    Raises:
        PermanentProviderError: the file is not a readable image.
    """
    try:
        with Image.open(path) as img:
            img.load()
            image = img.convert("RGBA") if img.mode in ("RGBA", "LA", "P") else img.convert("RGB")
    except (OSError, Image.DecompressionBombError) as err:
        raise PermanentProviderError(f"cannot read image {path.name}: {err}") from err
    image.thumbnail((long_side, long_side))
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def image_data_url(path: Path, *, long_side: int = 1024) -> tuple[str, str]:
    """``(mime type, data URL)`` of ``path`` as a PNG (see :func:`image_png`)."""
    data = image_png(path, long_side=long_side)
    return "image/png", "data:image/png;base64," + base64.b64encode(data).decode()


def _check_counts(draft: ScriptDraft, n: int) -> None:
    if len(draft.lines) != n:
        raise ScriptDraftError(f"expected {n} lines, got {len(draft.lines)}")
    if len(draft.keyframes) != n + 1:
        raise ScriptDraftError(f"expected {n + 1} keyframes, got {len(draft.keyframes)}")
    if len(draft.segment_prompts) != n:
        raise ScriptDraftError(f"expected {n} segment_prompts, got {len(draft.segment_prompts)}")
    if [line.segment_index for line in draft.lines] != list(range(n)):
        raise ScriptDraftError("line segment_index values must be 0..segment_count-1 in order")
    if [shot.index for shot in draft.keyframes] != list(range(n + 1)):
        raise ScriptDraftError("keyframe index values must be 0..segment_count in order")
    empty = [f"line {line.segment_index}" for line in draft.lines if not line.text.strip()]
    empty += [f"keyframe {s.index}" for s in draft.keyframes if not s.prompt.strip()]
    empty += [f"segment_prompt {i}" for i, p in enumerate(draft.segment_prompts) if not p.strip()]
    if empty:
        raise ScriptDraftError("empty text in " + ", ".join(empty))


def _check_lines(draft: ScriptDraft, request: ScriptRequest) -> list[str]:
    budget = max_words(request.segment_duration)
    texts = [line.text.strip() for line in draft.lines]
    if request.custom_script is not None:
        if " ".join(texts).split() != request.custom_script.split():
            # The model may not rewrite a custom script: split it ourselves.
            return split_custom_script(request.custom_script, request.segment_count, budget)
        return texts
    if request.language.split("-")[0] not in UNSPACED:
        long = [f"line {i} has {spoken_length(t):g} words (at most {budget})"
                for i, t in enumerate(texts) if spoken_length(t) > budget + 0.5]
        if long:
            raise ScriptDraftError("; ".join(long))
    return texts


def to_script(draft: ScriptDraft, request: ScriptRequest) -> Script:
    """The :class:`Script` of a draft that fits ``request``.

    Raises:
        ScriptDraftError: it does not fit; the message is the reason, fit to send back.
    """
    n = request.segment_count
    _check_counts(draft, n)
    texts = _check_lines(draft, request)
    phases = [line.phase for line in draft.lines]
    if request.custom_script is not None and texts != [ln.text.strip() for ln in draft.lines]:
        phases = [group[0] for group in phase_plan(n, request.script_structure)]
    lines = tuple(ScriptLine(segment_index=i, phase=phases[i], text=t,
                             target_duration_s=request.segment_duration)
                  for i, t in enumerate(texts))
    shots = tuple(KeyframeShot(index=s.index, shot_type=s.shot_type.strip(),
                               camera_angle=s.camera_angle.strip(),
                               expression=s.expression.strip(),
                               product_interaction=s.product_interaction.strip(),
                               prompt=s.prompt.strip()) for s in draft.keyframes)
    language = request.language if request.custom_script is not None else (
        draft.language.strip() or request.language)
    return Script(lines=lines, keyframes=shots, language=language,
                  segment_prompts=tuple(p.strip() for p in draft.segment_prompts))


def write_until_valid(ask: Callable[[str | None], ScriptDraft], request: ScriptRequest, *,
                      attempts: int, provider: str) -> Script:
    """Ask for a draft (``ask(feedback)``) until one fits, at most ``attempts`` times.

    ``ask`` raises :class:`ScriptDraftError` or pydantic's ``ValidationError`` for an answer
    that is not a draft; provider errors pass through.

    Raises:
        PermanentProviderError: no answer fitted; the message carries the last reason.
    """
    reason = ""
    for _ in range(attempts):
        try:
            return to_script(ask(reason or None), request)
        except (ScriptDraftError, PydanticValidationError) as err:
            reason = _short(err)
    raise PermanentProviderError(
        f"{provider}: the model's script was invalid {attempts} times: {reason}",
        provider=provider)


def _short(err: Exception) -> str:
    if isinstance(err, PydanticValidationError):
        first = err.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        return f"output does not match the schema ({err.error_count()} errors; {where}: " \
               f"{first.get('msg', '')})"
    return str(err)
