"""The models OpenAI offers to our key: ``GET /v1/models`` (with each model's announced
``shutdown_date``, when OpenAI lists one)."""

from __future__ import annotations

import openai
from pydantic import SecretStr

from ugen.providers.openai._client import make_client
from ugen.providers.openai._errors import translate
from ugen.providers.vendor import OfferedModel


def list_models(api_key: SecretStr | None, base_url: str, *,
                timeout_s: float) -> tuple[OfferedModel, ...]:
    """Every model the key may use.

    Raises:
        ProviderError: the listing failed (a refused key is a VendorAuthError).
    """
    client = make_client(api_key, base_url)
    try:
        return tuple(OfferedModel(m.id, shutdown_date=getattr(m, "shutdown_date", None))
                     for m in client.models.list(timeout=timeout_s))
    except openai.OpenAIError as err:
        raise translate(err, call="models list") from err
    finally:
        client.close()
