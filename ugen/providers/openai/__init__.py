"""OpenAI adapters: the script agent, keyframe image edits and the keyframe QA vision model."""

from ugen.providers.openai.judge import OpenAIVisionModel
from ugen.providers.openai.keyframes import OpenAIKeyframeProvider
from ugen.providers.openai.script_agent import OpenAIScriptAgent

__all__ = ["OpenAIKeyframeProvider", "OpenAIScriptAgent", "OpenAIVisionModel"]
