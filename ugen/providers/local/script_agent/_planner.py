"""The keyframe planner: the shots of a script and the motion between them.

The plan has ``segment_count + 1`` shots: the anchor (index 0) establishes the persona, the
lighting and the environment; each later shot opens the segment of the same index and the last
one closes the video. Each shot carries a full image prompt, and each segment a motion prompt
from its first keyframe to its last.
"""

from __future__ import annotations

import random
from typing import Final

from ugen.providers.base import KeyframeShot, ScriptPhase, ScriptRequest
from ugen.providers.local.script_agent._persona import colour_words, persona_words, skin_words

_SHOT_SIZE: Final = {"wide": 0, "medium": 1, "medium close-up": 2, "product close-up": 3}
_SHOTS_BY_PHASE: Final[dict[str, tuple[str, ...]]] = {
    "hook": ("medium close-up", "medium"),
    "problem": ("medium close-up", "medium", "wide"),
    "demo": ("product close-up", "medium close-up", "medium"),
    "benefit": ("medium", "medium close-up", "wide"),
    "cta": ("medium", "medium close-up"),
}
_ANGLES: Final[dict[str, tuple[str, ...]]] = {
    "hook": ("eye level", "slightly low"),
    "problem": ("eye level", "slightly high"),
    "demo": ("slightly high", "eye level"),
    "benefit": ("eye level", "slightly low"),
    "cta": ("eye level",),
}
_EXPRESSIONS: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "hook": {"conversational": ("curious", "friendly", "intrigued"),
             "energetic": ("excited", "wide-eyed and excited"),
             "professional": ("confident", "composed"),
             "playful": ("playful grin", "mischievous smile")},
    "problem": {"conversational": ("frustrated", "skeptical"),
                "energetic": ("exasperated", "frustrated"),
                "professional": ("concerned", "thoughtful"),
                "playful": ("exaggerated eye-roll", "mock-dramatic sigh")},
    "demo": {"conversational": ("focused", "pleasantly surprised"),
             "energetic": ("amazed", "thrilled"),
             "professional": ("focused", "attentive"),
             "playful": ("impressed", "cheeky smile")},
    "benefit": {"conversational": ("delighted", "satisfied"),
                "energetic": ("beaming", "overjoyed"),
                "professional": ("confident", "assured"),
                "playful": ("smug, happy grin", "delighted")},
    "cta": {"conversational": ("warm smile",), "energetic": ("enthusiastic smile",),
            "professional": ("confident smile",), "playful": ("playful wink",)},
}

_INTERACTIONS: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "holdable": {
        "anchor": ("holding the {p} at chest height",),
        "hook": ("holding the {p} up beside the face", "raising the {p} toward the camera"),
        "problem": ("holding the {p} loosely at the side, not showing it yet",
                    "glancing at the {p} resting on the {s} nearby"),
        "demo": ("showing the label of the {p} to the camera", "opening the {p} and using it",
                 "applying the {p}", "turning the {p} to show its details"),
        "benefit": ("holding the {p} close with a satisfied smile",
                    "cradling the {p} in both hands"),
        "cta": ("holding the {p} out toward the camera",
                "pointing at the {p} held beside the face"),
    },
    "display_static": {
        "anchor": ("standing beside the {p} placed on the {s}",),
        "hook": ("gesturing toward the {p} on the {s}", "leaning in beside the {p} on the {s}"),
        "problem": ("shrugging with open hands, the {p} on the {s} behind",
                    "looking away from the {p} on the {s}, unconvinced"),
        "demo": ("pointing at the {p} on the {s}",
                 "presenting the {p} on the {s} with an open hand",
                 "tapping the {s} right next to the {p}"),
        "benefit": ("smiling beside the {p} on the {s}", "resting a hand near the {p} on the {s}"),
        "cta": ("pointing at the {p} on the {s} while looking into the camera",
                "framing the {p} on the {s} with both hands"),
    },
    "wearable": {
        "anchor": ("wearing the {p}",),
        "hook": ("wearing the {p} and posing for the camera", "showing off the {p} being worn"),
        "problem": ("holding the {p} in one hand, not wearing it yet",
                    "frowning at an old alternative, the {p} within reach"),
        "demo": ("adjusting the {p} while wearing it", "turning to show the fit of the {p}",
                 "touching the {p} to show the material"),
        "benefit": ("wearing the {p} with a confident stance",
                    "walking a few steps while wearing the {p}"),
        "cta": ("wearing the {p} and pointing at it", "presenting the {p} with both hands"),
    },
    "applied": {
        "anchor": ("holding the {p} at chest height",),
        "hook": ("holding the {p} up beside the face", "raising the {p} toward the camera"),
        "problem": ("looking at the problem area with a frustrated look, the {p} nearby",
                    "holding the {p} unopened, unconvinced"),
        "demo": ("applying the {p}", "dispensing a small amount of the {p} onto the fingertips",
                 "showing the texture of the {p} on the back of the hand"),
        "benefit": ("showing the result after applying the {p}",
                    "smiling with the {p} in hand after applying it"),
        "cta": ("holding the {p} out toward the camera",
                "pointing at the {p} held beside the face"),
    },
}

_DEFAULT_ENVIRONMENTS: Final[dict[str, tuple[str, ...]]] = {
    "holdable": ("a bright, cozy living room with plants and a neutral sofa",
                 "a clean, modern kitchen with a light stone countertop"),
    "display_static": ("a clean kitchen with a light stone counter",
                       "a tidy home office with a wooden desk by a window"),
    "wearable": ("a sunlit bedroom with a full-length mirror", "a minimalist walk-in closet"),
    "applied": ("a bright bathroom with a clean white vanity",
                "a softly lit bedroom with a vanity table"),
}

_LIGHTING: Final = (
    ("kitchen", "bright natural daylight from a window"),
    ("bathroom", "soft, even vanity lighting"),
    ("vanity", "soft, even vanity lighting"),
    ("bedroom", "warm, soft morning light"),
    ("office", "soft daylight with a warm desk lamp"),
    ("desk", "soft daylight with a warm desk lamp"),
    ("gym", "bright, crisp overhead lighting"),
    ("outdoor", "warm golden-hour sunlight"),
    ("park", "warm golden-hour sunlight"),
    ("beach", "warm golden-hour sunlight"),
    ("garden", "warm golden-hour sunlight"),
    ("studio", "soft, diffused studio lighting"),
)

_SURFACES: Final = (("kitchen", "counter"), ("counter", "counter"), ("desk", "desk"),
                    ("vanity", "vanity"), ("bathroom", "vanity"), ("shelf", "shelf"))


def _lookup(table: tuple[tuple[str, str], ...], text: str, default: str) -> str:
    lowered = text.lower()
    return next((v for k, v in table if k in lowered), default)


class KeyframePlanner:
    """Plans the shots of one script and the camera motion of each segment."""

    def __init__(self, request: ScriptRequest, rng: random.Random) -> None:
        self.request = request
        self.rng = rng
        mode = request.interaction_mode
        self.environment = (request.environment_description or "").strip() or rng.choice(
            _DEFAULT_ENVIRONMENTS[mode]
        )
        self.lighting = _lookup(_LIGHTING, self.environment, "soft natural window light")
        self.surface = _lookup(_SURFACES, self.environment, "table")
        self.product = request.product_name.strip()
        self.persona = persona_words(request.persona)

    def _interaction(self, key: str, avoid: str | None) -> str:
        options = [
            o.format(p=self.product, s=self.surface)
            for o in _INTERACTIONS[self.request.interaction_mode][key]
        ]
        fresh = [o for o in options if o != avoid] or options
        return self.rng.choice(fresh)

    def _prompt(self, shot: str, angle: str, expression: str, interaction: str,
                anchor: bool) -> str:
        name = self.request.persona.name
        if shot == "product close-up":
            subject = (f"Product close-up of the {self.product}, {name}'s hands in frame "
                       f"({skin_words(self.request.persona.skin)} skin, "
                       f"{colour_words(self.request.persona.top)} sleeve visible), "
                       f"{interaction}, the {self.product}'s label sharp and readable, "
                       f"{name}'s {expression} face softly out of focus behind")
        else:
            subject = (f"{shot[0].upper()}{shot[1:]} shot of {self.persona}, {interaction}, "
                       f"{expression} expression, looking into the camera")
        parts = [
            subject,
            f"{angle} camera angle",
            f"in {self.environment}",
            self.lighting,
            "authentic UGC smartphone footage, natural skin texture, photorealistic, "
            "true-to-life product colours and shape",
        ]
        if anchor:
            parts.append(f"establishing frame that fixes {name}'s look, outfit, the lighting "
                         "and the environment for every following shot")
        return ", ".join(parts) + "."

    def plan(
        self, line_phases: list[ScriptPhase]
    ) -> tuple[tuple[KeyframeShot, ...], tuple[str, ...]]:
        tone = self.request.script_tone
        shots: list[KeyframeShot] = []
        interaction = self._interaction("anchor", None)
        shots.append(KeyframeShot(
            index=0, shot_type="medium", camera_angle="eye level", expression="friendly",
            product_interaction=interaction,
            prompt=self._prompt("medium", "eye level", "friendly", interaction, anchor=True),
        ))
        n = len(line_phases)
        # Keyframe i opens segment i; the last keyframe closes the video on the call to action.
        phases: list[ScriptPhase] = [*line_phases[1:], "cta"] if n > 1 else ["cta"]
        have_close_up = False
        for i, phase in enumerate(phases, start=1):
            prev = shots[-1]
            options = [s for s in _SHOTS_BY_PHASE[phase] if s != prev.shot_type]
            if phase == "demo" and not have_close_up and "product close-up" in options:
                shot = "product close-up"  # the first demo always shows the product up close
            else:
                shot = self.rng.choice(options)
            have_close_up = have_close_up or shot == "product close-up"
            angle = "slightly high" if shot == "product close-up" else self.rng.choice(
                _ANGLES[phase])
            expression = self.rng.choice(_EXPRESSIONS[phase][tone])
            interaction = self._interaction(phase, prev.product_interaction)
            shots.append(KeyframeShot(
                index=i, shot_type=shot, camera_angle=angle, expression=expression,
                product_interaction=interaction,
                prompt=self._prompt(shot, angle, expression, interaction, anchor=False),
            ))
        motions = tuple(self._motion(shots[i], shots[i + 1], line_phases[i]) for i in range(n))
        return tuple(shots), motions

    def _motion(self, a: KeyframeShot, b: KeyframeShot, phase: ScriptPhase) -> str:
        name = self.request.persona.name
        sa, sb = _SHOT_SIZE[a.shot_type], _SHOT_SIZE[b.shot_type]
        if b.shot_type == "product close-up":
            move = "smooth push-in with a slight tilt down onto the product"
        elif a.shot_type == "product close-up":
            move = f"gentle pull-back from the product to reveal {name}"
        elif sb > sa:
            move = "slow push-in"
        elif sb < sa:
            move = "gentle pull-back"
        else:
            move = self.rng.choice(("subtle handheld drift", "slow lateral slide",
                                    "slight handheld sway"))
        beat = {
            "hook": "grabbing attention in the first second",
            "problem": "reacting to the frustration being described",
            "demo": "showing the product in use",
            "benefit": "enjoying the result",
            "cta": "inviting the viewer to get the product",
        }[phase]
        return (
            f"{move[0].upper()}{move[1:]} from a {a.shot_type} ({a.camera_angle}) to a "
            f"{b.shot_type} ({b.camera_angle}). {name} goes from {a.product_interaction} to "
            f"{b.product_interaction}, {beat}, speaking to the camera with natural lip "
            f"movement, ending with a {b.expression} expression. Keep {name}'s appearance, "
            f"outfit, the {self.product} and {self.environment} consistent; natural handheld "
            "smartphone feel, no cuts."
        )
