"""The OpenAI SDK client: our key and base URL, the SDK's own retries off."""

from __future__ import annotations

import openai
from pydantic import SecretStr

from ugen.providers.openai._errors import PROVIDER
from ugen.providers.vendor import MissingCredentialsError


def make_client(api_key: SecretStr | None, base_url: str) -> openai.OpenAI:
    """An SDK client; retries are the stage's (they honour ``Retry-After`` and the budget).

    Raises:
        MissingCredentialsError: no key is configured.
    """
    if api_key is None or not api_key.get_secret_value():
        raise MissingCredentialsError("openai: UGEN_OPENAI_API_KEY is not set",
                                      provider=PROVIDER)
    return openai.OpenAI(api_key=api_key.get_secret_value(), base_url=base_url, max_retries=0)
