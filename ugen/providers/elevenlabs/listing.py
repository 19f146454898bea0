"""The models ElevenLabs offers to our key: ``GET /v1/models``, with what each can do
(``voice_conversion`` for the speech-to-speech models)."""

from __future__ import annotations

import httpx
from elevenlabs.core.api_error import ApiError
from pydantic import SecretStr

from ugen.providers.elevenlabs._client import make_client, request_options
from ugen.providers.elevenlabs._errors import translate
from ugen.providers.vendor import OfferedModel


def list_models(api_key: SecretStr | None, base_url: str, *,
                timeout_s: float) -> tuple[OfferedModel, ...]:
    """Every model the key may use.

    Raises:
        ProviderError: the listing failed (a refused key is a VendorAuthError).
    """
    client = make_client(api_key, base_url)
    try:
        models = client.models.list(request_options=request_options(timeout_s))
    except (ApiError, httpx.HTTPError) as err:
        raise translate(err, call="models list") from err
    return tuple(OfferedModel(m.model_id, capabilities=(
        ("voice_conversion",) if m.can_do_voice_conversion else ())) for m in models)
