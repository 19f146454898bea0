"""The keyframe QA vision model on OpenAI (``UGEN_OPENAI_JUDGE_MODEL``).

Chat Completions with the labelled images as ``image_url`` data URLs and a strict JSON schema
answer (:class:`~ugen.providers.vision_qa.VisionAssessment`); ``temperature`` 0 only for the
models that take it (:mod:`ugen.providers.openai._models`). Plug it into
:class:`~ugen.providers.vision_qa.VisionKeyframeJudge`. Billing is per token: each call adds
a :class:`~ugen.providers.base.Usage` under the first image's path.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, get_args

import openai
from pydantic import SecretStr
from pydantic import ValidationError as PydanticValidationError

from ugen.core.config import Settings
from ugen.providers.base import PermanentProviderError, Usage, UsageLedger
from ugen.providers.openai._client import make_client
from ugen.providers.openai._errors import PROVIDER, translate
from ugen.providers.openai._models import accepts_temperature
from ugen.providers.script_schema import image_data_url
from ugen.providers.vision_qa import FailCategory, VisionAssessment

# Written out (not generated): strict mode wants every property required and no bounds.
SCHEMA: dict[str, Any] = {
    "type": "object", "additionalProperties": False,
    "required": ["score", "categories", "reasons"],
    "properties": {
        "score": {"type": "number"},
        "categories": {"type": "array",
                       "items": {"type": "string", "enum": list(get_args(FailCategory))}},
        "reasons": {"type": "array", "items": {"type": "string"}},
    },
}


class OpenAIVisionModel:
    """A :class:`~ugen.providers.vision_qa.VisionModel` on ``chat.completions``."""

    def __init__(self, *, api_key: SecretStr | None, model: str = "gpt-6-luna",
                 base_url: str = "https://api.openai.com/v1", timeout_s: float = 60.0) -> None:
        self._client = make_client(api_key, base_url)
        self.model = model
        self.name = f"{PROVIDER}:{model}"
        self.timeout_s = timeout_s
        self.usage = UsageLedger()

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIVisionModel:
        return cls(api_key=settings.openai_api_key, model=settings.openai_judge_model,
                   base_url=settings.openai_base_url, timeout_s=settings.openai_judge_timeout_s)

    def assess(self, images: Sequence[tuple[str, Path]], question: str) -> VisionAssessment:
        """Ask ``question`` about the labelled ``images``.

        Raises:
            ProviderError: the call failed (see :mod:`ugen.providers.openai._errors`), or the
                answer is not a verdict (permanent).
        """
        content: list[dict[str, Any]] = []
        for label, path in images:
            content.append({"type": "text", "text": f"{label}:"})
            content.append({"type": "image_url",
                            "image_url": {"url": image_data_url(path, long_side=768)[1],
                                          "detail": "low"}})
        messages: Any = [{"role": "system", "content": question},
                         {"role": "user", "content": content}]
        try:
            response = self._client.chat.completions.create(
                model=self.model, messages=messages,
                temperature=0 if accepts_temperature(self.model) else openai.omit,
                response_format={"type": "json_schema", "json_schema": {
                    "name": "qa_verdict", "strict": True, "schema": SCHEMA}},
                timeout=self.timeout_s)
        except openai.OpenAIError as err:
            raise translate(err, call="judge") from err
        if response.usage is not None:
            self.usage.add(images[0][1], Usage(units=response.usage.total_tokens, unit="token",
                                               provider=PROVIDER, model=self.model))
        text = response.choices[0].message.content if response.choices else None
        try:
            answer = VisionAssessment.model_validate_json(text or "")
        except PydanticValidationError as err:
            raise PermanentProviderError(f"{PROVIDER} judge: the answer is not a verdict "
                                         f"({err.error_count()} errors)",
                                         provider=PROVIDER) from err
        return answer
