"""The models the Gemini API offers to our key: ``models.list`` (``GET /v1beta/models``), every
page, with the generation methods each supports."""

from __future__ import annotations

from google.genai import errors as genai_errors
from pydantic import SecretStr

from ugen.providers.gemini._client import make_client
from ugen.providers.gemini._errors import TRANSPORT_ERRORS, translate
from ugen.providers.vendor import OfferedModel


def list_models(api_key: SecretStr | None, base_url: str | None, *,
                timeout_s: float) -> tuple[OfferedModel, ...]:
    """Every base model the key may call, ids without the ``models/`` prefix.

    Raises:
        ProviderError: the listing failed (a refused key is a VendorAuthError).
    """
    client = make_client(api_key, base_url, timeout_s)
    try:
        return tuple(OfferedModel((m.name or "").removeprefix("models/"),
                                  capabilities=tuple(m.supported_actions or ()))
                     for m in client.models.list(config={"page_size": 1000}) if m.name)
    except (genai_errors.APIError, *TRANSPORT_ERRORS) as err:
        raise translate(err, call="models list") from err
