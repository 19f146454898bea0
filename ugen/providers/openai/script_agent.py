"""A script agent on the OpenAI Responses API with structured output.

``responses.parse`` with ``text_format=ScriptDraft`` sees the product image (a data URL) and
the request; an answer that does not fit is asked for again with the reason (see
:mod:`ugen.providers.script_schema`). A refusal is a content-policy error. Billing is per
token: each call adds a :class:`~ugen.providers.base.Usage` under the product image path.
"""

from __future__ import annotations

import openai
from pydantic import SecretStr

from ugen.core.config import Settings
from ugen.providers.base import ContentPolicyError, Script, ScriptRequest, Usage, UsageLedger
from ugen.providers.openai._client import make_client
from ugen.providers.openai._errors import PROVIDER, translate
from ugen.providers.script_schema import (
    INSTRUCTIONS,
    ScriptDraft,
    ScriptDraftError,
    image_data_url,
    user_text,
    write_until_valid,
)


class OpenAIScriptAgent:
    """A :class:`~ugen.providers.base.ScriptAgent` calling ``responses.parse``."""

    def __init__(self, *, api_key: SecretStr | None, model: str = "gpt-6-luna",
                 base_url: str = "https://api.openai.com/v1", timeout_s: float = 120.0,
                 attempts: int = 3) -> None:
        self._client = make_client(api_key, base_url)
        self.model = model
        self.timeout_s = timeout_s
        self.attempts = attempts
        self.usage = UsageLedger()

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIScriptAgent:
        return cls(api_key=settings.openai_api_key, model=settings.openai_script_model,
                   base_url=settings.openai_base_url, timeout_s=settings.openai_script_timeout_s,
                   attempts=settings.script_output_attempts)

    def write_script(self, request: ScriptRequest) -> Script:
        """Write the lines, keyframe plan and motion prompts for ``request``.

        Raises:
            ContentPolicyError: the model refused.
            PermanentProviderError: auth, quota, a bad request, or no valid script after
                ``attempts`` answers (the message says what was wrong).
            TransientProviderError: rate limited, server error or timeout (retry).
        """
        _, url = image_data_url(request.product_image)

        def ask(feedback: str | None) -> ScriptDraft:
            try:
                response = self._client.responses.parse(
                    model=self.model, instructions=INSTRUCTIONS, text_format=ScriptDraft,
                    input=[{"role": "user", "content": [
                        {"type": "input_text", "text": user_text(request, feedback)},
                        {"type": "input_image", "image_url": url, "detail": "low"},
                    ]}],
                    timeout=self.timeout_s)
            except openai.OpenAIError as err:
                raise translate(err, call="script") from err
            if response.usage is not None:
                self.usage.add(request.product_image, Usage(
                    units=response.usage.total_tokens, unit="token", provider=PROVIDER,
                    model=self.model))
            for item in response.output:
                for part in getattr(item, "content", None) or ():
                    if getattr(part, "type", "") == "refusal":
                        raise ContentPolicyError(f"{PROVIDER} script: the model refused: "
                                                 f"{getattr(part, 'refusal', '')}",
                                                 provider=PROVIDER, request_id=response.id)
            if response.output_parsed is None:
                raise ScriptDraftError(f"no parsed output (status {response.status})")
            return response.output_parsed

        return write_until_valid(ask, request, attempts=self.attempts, provider=PROVIDER)
