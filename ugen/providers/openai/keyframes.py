"""Keyframes through OpenAI image edits: the anchor and the product image as references.

The anchor shot (index 0) is made from the product image alone and establishes the persona,
the lighting and the environment; every later shot gets the anchor first and the product
second, and is told to keep the person, outfit, room and light of the first and the product
exactly as the second. The model's portrait, landscape or square size is chosen by the
keyframe's aspect ratio and the result is cover-fitted to the keyframe size. ``input_fidelity``
(``high``: keep the faces and the product as in the references) goes only to the models that
take it (:mod:`ugen.providers.openai._models`). Billing is per image: each call adds a
:class:`~ugen.providers.base.Usage` under ``out_path``.
"""

from __future__ import annotations

import base64
import binascii
import io
from pathlib import Path
from typing import Literal

import openai
from PIL import Image
from pydantic import SecretStr

from ugen.core.config import Settings
from ugen.providers.base import (
    KeyframeRequest,
    PermanentProviderError,
    TransientProviderError,
    Usage,
    UsageLedger,
)
from ugen.providers.keyframe_images import keyframe_prompt, save_keyframe
from ugen.providers.openai._client import make_client
from ugen.providers.openai._errors import PROVIDER, translate
from ugen.providers.openai._models import input_fidelity

ImageSize = Literal["1024x1024", "1536x1024", "1024x1536"]
Quality = Literal["low", "medium", "high", "auto"]


def edit_size(width: int, height: int) -> ImageSize:
    """The model size nearest the keyframe's aspect ratio."""
    ratio = width / height
    if ratio < 0.8:
        return "1024x1536"
    if ratio > 1.25:
        return "1536x1024"
    return "1024x1024"


def _png(path: Path) -> tuple[str, bytes, str]:
    try:
        with Image.open(path) as img:
            img.load()
            buf = io.BytesIO()
            img.convert("RGBA").save(buf, format="PNG")
    except (OSError, Image.DecompressionBombError) as err:
        raise PermanentProviderError(f"{PROVIDER} image edit: cannot read {path.name}: {err}",
                                     provider=PROVIDER) from err
    return (path.with_suffix(".png").name, buf.getvalue(), "image/png")


class OpenAIKeyframeProvider:
    """A :class:`~ugen.providers.base.KeyframeProvider` calling ``images.edit``."""

    def __init__(self, *, api_key: SecretStr | None, model: str = "gpt-image-2.6-sunburst",
                 base_url: str = "https://api.openai.com/v1", quality: Quality = "high",
                 timeout_s: float = 240.0) -> None:
        self._client = make_client(api_key, base_url)
        self.model = model
        self.quality: Quality = quality
        self.timeout_s = timeout_s
        self.usage = UsageLedger()

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIKeyframeProvider:
        return cls(api_key=settings.openai_api_key, model=settings.openai_image_model,
                   base_url=settings.openai_base_url, quality=settings.openai_image_quality,
                   timeout_s=settings.openai_image_timeout_s)

    def generate_keyframe(self, request: KeyframeRequest) -> Path:
        """Write the keyframe PNG (exactly ``width`` x ``height``) at ``out_path``.

        Raises:
            ContentPolicyError: the prompt or a reference image was refused.
            PermanentProviderError: auth, quota, unreadable inputs or a bad answer.
            TransientProviderError: rate limited, server error or timeout (retry).
        """
        refs = [request.product_image] if request.anchor is None else [request.anchor,
                                                                       request.product_image]
        fidelity = input_fidelity(self.model)  # only to models that take the field
        try:
            response = self._client.images.edit(
                model=self.model, image=[_png(p) for p in refs], prompt=keyframe_prompt(request),
                size=edit_size(request.width, request.height), quality=self.quality,
                input_fidelity=openai.omit if fidelity is None else fidelity,
                output_format="png", n=1, timeout=self.timeout_s)
        except openai.OpenAIError as err:
            raise translate(err, call="image edit") from err
        b64 = response.data[0].b64_json if response.data else None
        if not b64:
            raise TransientProviderError(f"{PROVIDER} image edit: the answer had no image",
                                         provider=PROVIDER)
        try:
            data = base64.b64decode(b64)
        except binascii.Error as err:
            raise PermanentProviderError(f"{PROVIDER} image edit: unreadable image: {err}",
                                         provider=PROVIDER) from err
        out = save_keyframe(data, request, provider=PROVIDER, call="image edit")
        self.usage.add(out, Usage(units=1, unit="image", provider=PROVIDER, model=self.model))
        return out
