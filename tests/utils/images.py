"""Product images for tests, made on the fly."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw


def product_png(path: Path, *, size: tuple[int, int] = (512, 512), alpha: bool = True) -> Path:
    """A simple bottle-shaped product on a transparent or plain white background."""
    w, h = size
    img = Image.new("RGBA" if alpha else "RGB", size, (0, 0, 0, 0) if alpha else "white")
    d = ImageDraw.Draw(img)
    d.rounded_rectangle((w * 0.32, h * 0.25, w * 0.68, h * 0.92), radius=int(w * 0.06),
                        fill=(212, 120, 60, 255))
    d.rectangle((w * 0.42, h * 0.1, w * 0.58, h * 0.26), fill=(40, 40, 40, 255))
    d.rectangle((w * 0.36, h * 0.5, w * 0.64, h * 0.7), fill=(250, 240, 225, 255))
    img.save(path)
    return path
