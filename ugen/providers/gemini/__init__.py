"""Gemini API adapters: the script agent, keyframe images and the QA vision model."""

from ugen.providers.gemini.judge import GeminiVisionModel
from ugen.providers.gemini.keyframes import GeminiKeyframeProvider
from ugen.providers.gemini.script_agent import GeminiScriptAgent

__all__ = ["GeminiKeyframeProvider", "GeminiScriptAgent", "GeminiVisionModel"]
