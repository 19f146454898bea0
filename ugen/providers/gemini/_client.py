"""The google-genai client for the Gemini API: our key, base URL and timeout; no SDK retries."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from google import genai
from google.genai import types
from pydantic import BaseModel, SecretStr

from ugen.providers.gemini._errors import PROVIDER
from ugen.providers.script_schema import image_png
from ugen.providers.vendor import MissingCredentialsError


def make_client(api_key: SecretStr | None, base_url: str | None, timeout_s: float) -> genai.Client:
    """A Gemini API client (retries are the stage's, honouring the vendor's retry delay).

    Raises:
        MissingCredentialsError: no key is configured.
    """
    if api_key is None or not api_key.get_secret_value():
        raise MissingCredentialsError("gemini: UGEN_GEMINI_API_KEY is not set",
                                      provider=PROVIDER)
    options = types.HttpOptions(base_url=base_url, timeout=math.ceil(timeout_s * 1000))
    return genai.Client(api_key=api_key.get_secret_value(), http_options=options)


def response_schema(model: type[BaseModel]) -> dict[str, Any]:
    """``model``'s JSON schema in the subset ``responseSchema`` takes: references inlined,
    no ``additionalProperties`` (the API refuses that field), no titles."""
    schema = model.model_json_schema()
    defs = schema.pop("$defs", {})

    def clean(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return clean(defs[node["$ref"].rsplit("/", 1)[-1]])
            return {k: clean(v) for k, v in node.items()
                    if k not in ("additionalProperties", "title")}
        if isinstance(node, list):
            return [clean(v) for v in node]
        return node

    result: dict[str, Any] = clean(schema)
    return result


def image_part(path: Path, *, long_side: int = 1024) -> types.Part:
    """``path`` as an inline PNG part (downscaled to ``long_side``)."""
    return types.Part.from_bytes(data=image_png(path, long_side=long_side), mime_type="image/png")
