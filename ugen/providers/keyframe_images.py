"""What the vendor keyframe adapters share: the prompt that says what each reference image
is for, and how a returned image becomes the keyframe file."""

from __future__ import annotations

import io
import os
from pathlib import Path

from PIL import Image, ImageOps

from ugen.providers.base import KeyframeRequest, PermanentProviderError


def keyframe_prompt(request: KeyframeRequest) -> str:
    """The edit prompt: the shot's own prompt, and what each reference image is for."""
    shot = request.shot
    setting = request.environment_description or "a bright, lived-in home"
    framing = (f"{shot.shot_type}, {shot.camera_angle}; expression: {shot.expression}; "
               f"product: {shot.product_interaction} ({request.interaction_mode}).")
    if request.anchor is None:
        refs = ("The reference image is the product. Create the opening frame of a vertical "
                f"UGC smartphone video: {request.persona.name}, {request.persona.description}, "
                f"in {setting}, natural soft light. This frame establishes the person, the "
                "outfit, the lighting and the room for every later frame.")
    else:
        refs = ("Image 1 is the first frame of the same video: keep the same person, face, "
                "hair, outfit, room and lighting. Image 2 is the product: show it exactly as it "
                "is (shape, colours, label, text), never redesigned.")
    return f"{refs}\nShot: {framing}\n{shot.prompt}\nPhotorealistic, no captions, no watermark."


def save_keyframe(data: bytes, request: KeyframeRequest, *, provider: str, call: str) -> Path:
    """Cover-fit the vendor's image to the keyframe size and write it atomically as PNG.

    Raises:
        PermanentProviderError: the bytes are not a readable image.
    """
    try:
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            image = ImageOps.fit(img.convert("RGB"), (request.width, request.height),
                                 Image.Resampling.LANCZOS)
    except (OSError, Image.DecompressionBombError) as err:
        raise PermanentProviderError(f"{provider} {call}: unreadable image: {err}",
                                     provider=provider) from err
    out = request.out_path
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    image.save(tmp, format="PNG")
    os.replace(tmp, out)
    return out
