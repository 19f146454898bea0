"""Keyframes through a Gemini image model, with the anchor and the product as references.

The same prompts as the OpenAI edit (:func:`ugen.providers.keyframe_images.keyframe_prompt`):
the anchor (index 0) is made from the product image and establishes persona, lighting and
environment; later shots get the anchor first and the product second. The aspect ratio is
the model's nearest to the keyframe's; the result is cover-fitted to the keyframe size.
Billing is per image: each call adds a :class:`~ugen.providers.base.Usage` under
``out_path``.
"""

from __future__ import annotations

from pathlib import Path

from google.genai import errors as genai_errors
from google.genai import types
from pydantic import SecretStr

from ugen.core.config import Settings
from ugen.providers.base import (
    KeyframeRequest,
    TransientProviderError,
    Usage,
    UsageLedger,
)
from ugen.providers.gemini._client import image_part, make_client
from ugen.providers.gemini._errors import (
    PROVIDER,
    TRANSPORT_ERRORS,
    check_not_blocked,
    translate,
)
from ugen.providers.keyframe_images import keyframe_prompt, save_keyframe

ASPECT_RATIOS = ("1:1", "2:3", "3:2", "3:4", "4:3", "4:5", "5:4", "9:16", "16:9", "21:9")


def aspect_ratio(width: int, height: int) -> str:
    """The documented aspect ratio nearest ``width / height``."""
    def distance(label: str) -> float:
        w, h = (int(x) for x in label.split(":"))
        return abs(w / h - width / height)
    return min(ASPECT_RATIOS, key=distance)


class GeminiKeyframeProvider:
    """A :class:`~ugen.providers.base.KeyframeProvider` on a Gemini image model."""

    def __init__(self, *, api_key: SecretStr | None, model: str = "gemini-nano-banana-2.1",
                 base_url: str | None = None, timeout_s: float = 180.0) -> None:
        self._client = make_client(api_key, base_url, timeout_s)
        self.model = model
        self.usage = UsageLedger()

    @classmethod
    def from_settings(cls, settings: Settings) -> GeminiKeyframeProvider:
        return cls(api_key=settings.gemini_api_key, model=settings.gemini_image_model,
                   base_url=settings.gemini_base_url, timeout_s=settings.gemini_image_timeout_s)

    def generate_keyframe(self, request: KeyframeRequest) -> Path:
        """Write the keyframe PNG (exactly ``width`` x ``height``) at ``out_path``.

        Raises:
            ContentPolicyError: the prompt or the image was blocked.
            PermanentProviderError: auth, unreadable inputs or a bad answer.
            TransientProviderError: rate limited, server error, timeout, no image (retry).
        """
        refs = [request.product_image] if request.anchor is None else [request.anchor,
                                                                       request.product_image]
        contents: list[types.ContentUnionDict] = [image_part(p) for p in refs]
        contents.append(keyframe_prompt(request))
        config = types.GenerateContentConfig(
            response_modalities=["IMAGE"],
            image_config=types.ImageConfig(aspect_ratio=aspect_ratio(request.width,
                                                                     request.height)))
        try:
            response = self._client.models.generate_content(model=self.model,
                                                            contents=contents, config=config)
        except (genai_errors.APIError, *TRANSPORT_ERRORS) as err:
            raise translate(err, call="image") from err
        check_not_blocked(response, call="image")
        data = next((part.inline_data.data for part in response.parts or ()
                     if part.inline_data is not None and part.inline_data.data), None)
        if data is None:
            raise TransientProviderError(f"{PROVIDER} image: the answer had no image",
                                         provider=PROVIDER)
        out = save_keyframe(data, request, provider=PROVIDER, call="image")
        self.usage.add(out, Usage(units=1, unit="image", provider=PROVIDER, model=self.model))
        return out
