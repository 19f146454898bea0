"""Veo 3.1 video adapter (google-genai SDK, Vertex AI)."""

from ugen.providers.veo.video import VeoVideoProvider

__all__ = ["VeoVideoProvider"]
