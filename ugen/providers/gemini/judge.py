"""The QA vision model on Gemini Flash: the keyframe fallback and the segment judge.

``generate_content`` with the labelled images inline and a JSON answer of the
:class:`~ugen.providers.vision_qa.VisionAssessment` schema (``temperature`` 0 only for the
models that take it, :mod:`ugen.providers.gemini._models`). Plug it into
:class:`~ugen.providers.vision_qa.VisionKeyframeJudge` (after the OpenAI model) and
:class:`~ugen.providers.vision_qa.VisionSegmentJudge`. Billing is per token: each call adds a
:class:`~ugen.providers.base.Usage` under the first image's path.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from google.genai import errors as genai_errors
from google.genai import types
from pydantic import SecretStr
from pydantic import ValidationError as PydanticValidationError

from ugen.core.config import Settings
from ugen.providers.base import PermanentProviderError, Usage, UsageLedger
from ugen.providers.gemini._client import image_part, make_client, response_schema
from ugen.providers.gemini._errors import (
    PROVIDER,
    TRANSPORT_ERRORS,
    check_not_blocked,
    translate,
)
from ugen.providers.gemini._models import accepts_sampling
from ugen.providers.vision_qa import VisionAssessment


class GeminiVisionModel:
    """A :class:`~ugen.providers.vision_qa.VisionModel` on ``models.generate_content``."""

    def __init__(self, *, api_key: SecretStr | None, model: str = "gemini-3.8-flash",
                 base_url: str | None = None, timeout_s: float = 60.0) -> None:
        self._client = make_client(api_key, base_url, timeout_s)
        self.model = model
        self.name = f"{PROVIDER}:{model}"
        self.usage = UsageLedger()

    @classmethod
    def from_settings(cls, settings: Settings) -> GeminiVisionModel:
        return cls(api_key=settings.gemini_api_key, model=settings.gemini_judge_model,
                   base_url=settings.gemini_base_url, timeout_s=settings.gemini_judge_timeout_s)

    def assess(self, images: Sequence[tuple[str, Path]], question: str) -> VisionAssessment:
        """Ask ``question`` about the labelled ``images``.

        Raises:
            ProviderError: the call failed or was blocked, or the answer is not a verdict.
        """
        contents: list[types.ContentUnionDict] = []
        for label, path in images:
            contents += [f"{label}:", image_part(path, long_side=768)]
        config = types.GenerateContentConfig(
            system_instruction=question, response_mime_type="application/json",
            response_schema=response_schema(VisionAssessment),
            temperature=0 if accepts_sampling(self.model) else None)
        try:
            response = self._client.models.generate_content(model=self.model,
                                                            contents=contents, config=config)
        except (genai_errors.APIError, *TRANSPORT_ERRORS) as err:
            raise translate(err, call="judge") from err
        usage = response.usage_metadata
        if usage is not None and usage.total_token_count:
            self.usage.add(images[0][1], Usage(units=usage.total_token_count, unit="token",
                                               provider=PROVIDER, model=self.model))
        check_not_blocked(response, call="judge")
        if isinstance(response.parsed, VisionAssessment):
            return response.parsed
        try:
            return VisionAssessment.model_validate_json(response.text or "")
        except PydanticValidationError as err:
            raise PermanentProviderError(f"{PROVIDER} judge: the answer is not a verdict "
                                         f"({err.error_count()} errors)",
                                         provider=PROVIDER) from err
