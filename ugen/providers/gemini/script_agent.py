"""A script agent on the Gemini API with structured output (``response_schema``).

``generate_content`` sees the product image and the request and answers a
:class:`~ugen.providers.script_schema.ScriptDraft`; an answer that does not fit is asked for
again with the reason, then the stage fails with it. Billing is per token: each call adds a
:class:`~ugen.providers.base.Usage` under the product image path.
"""

from __future__ import annotations

from google.genai import errors as genai_errors
from google.genai import types
from pydantic import SecretStr

from ugen.core.config import Settings
from ugen.providers.base import Script, ScriptRequest, Usage, UsageLedger
from ugen.providers.gemini._client import image_part, make_client, response_schema
from ugen.providers.gemini._errors import (
    PROVIDER,
    TRANSPORT_ERRORS,
    check_not_blocked,
    translate,
)
from ugen.providers.script_schema import (
    INSTRUCTIONS,
    ScriptDraft,
    user_text,
    write_until_valid,
)


class GeminiScriptAgent:
    """A :class:`~ugen.providers.base.ScriptAgent` calling ``models.generate_content``."""

    def __init__(self, *, api_key: SecretStr | None, model: str = "gemini-3.8-flash",
                 base_url: str | None = None, timeout_s: float = 120.0,
                 attempts: int = 3) -> None:
        self._client = make_client(api_key, base_url, timeout_s)
        self.model = model
        self.attempts = attempts
        self.usage = UsageLedger()

    @classmethod
    def from_settings(cls, settings: Settings) -> GeminiScriptAgent:
        return cls(api_key=settings.gemini_api_key, model=settings.gemini_script_model,
                   base_url=settings.gemini_base_url, timeout_s=settings.gemini_script_timeout_s,
                   attempts=settings.script_output_attempts)

    def write_script(self, request: ScriptRequest) -> Script:
        """Write the lines, keyframe plan and motion prompts for ``request``.

        Raises:
            ContentPolicyError: the prompt or the answer was blocked.
            PermanentProviderError: auth, a bad request, or no valid script after
                ``attempts`` answers (the message says what was wrong).
            TransientProviderError: rate limited, server error or timeout (retry).
        """
        product = image_part(request.product_image)
        config = types.GenerateContentConfig(
            system_instruction=INSTRUCTIONS, response_mime_type="application/json",
            response_schema=response_schema(ScriptDraft), seed=request.seed)

        def ask(feedback: str | None) -> ScriptDraft:
            contents: list[types.ContentUnionDict] = [product, user_text(request, feedback)]
            try:
                response = self._client.models.generate_content(
                    model=self.model, contents=contents, config=config)
            except (genai_errors.APIError, *TRANSPORT_ERRORS) as err:
                raise translate(err, call="script") from err
            usage = response.usage_metadata
            if usage is not None and usage.total_token_count:
                self.usage.add(request.product_image, Usage(
                    units=usage.total_token_count, unit="token", provider=PROVIDER,
                    model=self.model))
            check_not_blocked(response, call="script")
            if isinstance(response.parsed, ScriptDraft):
                return response.parsed
            return ScriptDraft.model_validate_json(response.text or "")

        return write_until_valid(ask, request, attempts=self.attempts, provider=PROVIDER)
