"""ElevenLabs adapters: speech-to-speech (the persona's voice) and forced alignment."""

from ugen.providers.elevenlabs._client import load_voice_ids
from ugen.providers.elevenlabs.alignment import ElevenLabsAligner
from ugen.providers.elevenlabs.speech import ElevenLabsSpeechConverter

__all__ = ["ElevenLabsAligner", "ElevenLabsSpeechConverter", "load_voice_ids"]
