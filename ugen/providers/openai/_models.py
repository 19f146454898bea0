"""What each OpenAI model accepts, where it differs: request fields are sent only to models
that take them (OpenAI answers 400 ``unsupported_parameter`` / ``unsupported_value``).

- ``input_fidelity`` on image edits: ``high`` and ``low`` on ``gpt-image-1.5`` (and the shut
  down ``gpt-image-1``), ``low`` only on ``gpt-image-1-mini``; the GPT Image 2 models take
  no such field ("For gpt-image-2, omit this parameter": the openai SDK's
  ``image_edit_params``, from OpenAI's API reference).
- ``temperature`` on chat completions: the GPT-4o and GPT-4.1 families take it; the
  reasoning models (o-series, GPT-5, GPT-6) refuse or ignore sampling parameters, so none is
  sent to them or to a model this table does not know.

A model id matches its own entry or, for a dated snapshot (``gpt-image-1.5-2025-12-16``),
the entry of the id it extends.
"""

from __future__ import annotations

from typing import Literal

Fidelity = Literal["high", "low"]

INPUT_FIDELITY: dict[str, tuple[Fidelity, ...]] = {
    "gpt-image-1": ("high", "low"),
    "gpt-image-1.5": ("high", "low"),
    "gpt-image-1-mini": ("low",),
}
TEMPERATURE_FAMILIES = ("gpt-4o", "gpt-4.1", "gpt-4-", "gpt-3.5")


def _entry(model: str) -> str | None:
    """The table key ``model`` is, or is a dated snapshot of."""
    if model in INPUT_FIDELITY:
        return model
    return next((key for key in sorted(INPUT_FIDELITY, key=len, reverse=True)
                 if model.startswith(f"{key}-20")), None)


def input_fidelity(model: str, wanted: Fidelity = "high") -> Fidelity | None:
    """The ``input_fidelity`` to send to ``model``: ``wanted`` if it takes it, else None
    (the field is left out, and the model's own behaviour applies)."""
    key = _entry(model)
    return wanted if key is not None and wanted in INPUT_FIDELITY[key] else None


def accepts_temperature(model: str) -> bool:
    """Whether ``model`` takes a ``temperature`` on chat completions."""
    return model.startswith(TEMPERATURE_FAMILIES)
