"""Offline script agent: seeded templates that write a UGC ad script and plan its keyframes.

A script is ``segment_count`` spoken lines, one per video segment. The phases of the structure
(hook, problem, demo, benefit, cta) are spread over the lines: with fewer lines than phases,
neighbouring phases share a line; with more, the middle phases get several lines, each with
different wording. Every line is built to be spoken inside its segment: at most
``(segment_duration - 0.6 s) x 2.3`` words, the pace of relaxed conversational speech with a
breath of air at the cut.

A ``custom_script`` is never rewritten, only split into lines at sentence boundaries (then
clause, then word boundaries), balancing the lines' word counts.

The keyframe plan has ``segment_count + 1`` shots: the anchor (index 0) establishes the persona,
the lighting and the environment; each later shot opens the segment of the same index and the
last one closes the video. Each shot carries a full image prompt, and each segment a motion
prompt from its first keyframe to its last.
"""

from __future__ import annotations

import colorsys
import itertools
import math
import random
import re
from dataclasses import dataclass
from typing import Final

from ugen.catalog import (
    INTERACTION_MODES,
    SCRIPT_STRUCTURES,
    SCRIPT_TONES,
    Persona,
)
from ugen.providers.base import (
    KeyframeShot,
    PermanentProviderError,
    Script,
    ScriptLine,
    ScriptPhase,
    ScriptRequest,
)

PROVIDER = "local-script"
PHASES: Final[tuple[ScriptPhase, ...]] = ("hook", "problem", "demo", "benefit", "cta")
WORDS_PER_SECOND: Final = 2.3
AIR_S: Final = 0.6
TEMPLATE_LANGUAGES: Final = ("en", "es", "fr", "de", "pt")


def max_words(segment_duration: float) -> int:
    """The most words a line may have to be spoken comfortably inside one segment."""
    return max(1, math.floor((segment_duration - AIR_S) * WORDS_PER_SECOND + 1e-9))


def word_count(text: str) -> int:
    return len(text.split())


# Pauses, in words' worth of time: a voice stops briefly at a comma and longer at a full stop.
_CLAUSE_PAUSE = 0.5
_SENTENCE_PAUSE = 0.8


def spoken_length(text: str) -> float:
    """How long ``text`` takes to say, in words: never less than its word count.

    Numbers count as the words they are read as ("24" is "twenty four", "$19.99" five words),
    compounds with hyphens or slashes as their parts, and pauses at punctuation inside the line
    as part of a word. Lines are fitted to segments by this, so they fit when spoken.
    """
    tokens = text.split()
    total = 0.0
    for i, token in enumerate(tokens):
        for part in (p for p in re.split(r"[-/]", token) if p):
            groups = re.findall(r"\d+", part)
            if not groups:
                total += 1.0 if any(ch.isalnum() for ch in part) else 0.0
                continue
            total += sum(1 if len(g) == 1 else 2 if len(g) == 2 else len(g) for g in groups)
            total += part.count("%") + part.count("$") + part.count("€") + part.count("£")
            total += len(re.findall(r"\d[.,:]\d", part))  # "point", "oh"
            total += 1.0 if re.search(r"[^\W\d_]", part) else 0.0  # "24h", "x2"
        if i < len(tokens) - 1:
            if re.search(r"[.!?…]['\"”’)]*$", token):
                total += _SENTENCE_PAUSE
            elif re.search(r"[,;:—–]['\"”’)]*$", token) or token in ("-", "—", "–"):
                total += _CLAUSE_PAUSE
    return max(total, float(len(tokens)))


# --- which phases each line carries ------------------------------------------------------------

# With fewer lines than phases, neighbours share a line (a short ad still hooks and closes).
_GROUPS: Final[dict[int, tuple[tuple[ScriptPhase, ...], ...]]] = {
    1: (("hook", "problem", "demo", "benefit", "cta"),),
    2: (("hook", "problem"), ("demo", "benefit", "cta")),
    3: (("hook", "problem"), ("demo", "benefit"), ("cta",)),
    4: (("hook",), ("problem",), ("demo", "benefit"), ("cta",)),
}

# With more lines than phases, extra lines go to these phases in turn: the structure's weight.
_EXTRA_ORDER: Final[dict[str, tuple[ScriptPhase, ...]]] = {
    "standard_5phase": ("demo", "benefit", "problem", "demo", "benefit", "hook"),
    "problem_solution": ("problem", "demo", "benefit", "problem", "demo", "hook"),
    "testimonial": ("benefit", "demo", "problem", "benefit", "demo", "hook"),
}


def phase_plan(segment_count: int, structure: str) -> tuple[tuple[ScriptPhase, ...], ...]:
    """The phases spoken in each line, in order; every phase appears, order is kept."""
    if segment_count in _GROUPS:
        return _GROUPS[segment_count]
    counts = dict.fromkeys(PHASES, 1)
    order = _EXTRA_ORDER[structure]
    for k in range(segment_count - len(PHASES)):
        counts[order[k % len(order)]] += 1
    return tuple((p,) for p in PHASES for _ in range(counts[p]))


# --- English templates -------------------------------------------------------------------------
# Tags say which tones a template suits: c conversational, e energetic, p professional,
# y playful, * all. A leading ^ marks an opener: it may start a line, never follow a sentence
# of its own phase. Slots: {product} {name} {point} {place} {cta}. A {point} slot takes the next
# selling point. Templates never put a slot right after "?", so user text is never re-cased.

_T = tuple[str, str]

_EN: Final[dict[str, dict[str, tuple[_T, ...]]]] = {
    "standard_5phase": {
        "hook": (
            ("c", "^Okay, I need to talk about {product}."),
            ("c", "^Hi, I'm {name}, and I have to show you something."),
            ("cp", "^Quick, honest review of {product}."),
            ("cp", "If you've been curious about {product}, watch this."),
            ("e", "^Stop scrolling, you need to see this!"),
            ("e", "You guys, {product} just changed my routine!"),
            ("e", "^Hi, it's {name}, and I am so excited about this one!"),
            ("p", "Here's a product that actually earned a spot in my routine."),
            ("p", "Let me show you why I recommend {product}."),
            ("y", "Plot twist: my new favorite thing is {product}."),
            ("y", "Not me getting obsessed with {product}."),
            ("y", "^Okay, confession time."),
            ("c", "Let me show you what's been on repeat in {place}."),
            ("e", "Look what I found!"),
            ("*", "^Wait, look at this."),
            ("*", "^Hi, it's {name}!"),
            ("*", "^Meet {product}."),
            ("*", "Let me show you something I use every day."),
            ("c", "^So, I've been testing {product}."),
            ("e", "This is the one, I promise!"),
            ("p", "A quick look at {product}."),
            ("y", "I have a new obsession, and it's {product}."),
        ),
        "problem": (
            ("c", "I was so tired of products that promise everything and do nothing."),
            ("c", "Honestly, my old routine just wasn't cutting it."),
            ("ce", "I kept wasting money on things that didn't work."),
            ("*", "Everything I tried was either complicated or disappointing."),
            ("e", "I was so over stuff that just doesn't deliver!"),
            ("p", "Most options out there overpromise and underdeliver."),
            ("p", "Finding something reliable took me far too long."),
            ("y", "The struggle was real, and my patience was gone."),
            ("y", "My old stuff and I had a very dramatic breakup."),
            ("c", "We've all been there: you try something and nothing changes."),
            ("*", "Nothing I tried really worked."),
            ("*", "I never found anything that really worked for me."),
            ("c", "I'd basically given up looking."),
            ("e", "Seriously, nothing worked!"),
            ("p", "Most products simply didn't meet my standards."),
            ("y", "My old routine was chaotic at best."),
        ),
        "demo": (
            ("c", "So here's how I use it."),
            ("*", "Look how easy this is."),
            ("ce", "Watch, it takes literally seconds."),
            ("*", "First thing you notice: {point}."),
            ("*", "Here's {product} in action."),
            ("p", "Here's how it works in practice."),
            ("p", "Notice the details: {point}."),
            ("e", "Look at this, {point}!"),
            ("y", "Watch closely, no tricks, I promise."),
            ("y", "Behold, {product}."),
            ("c", "What got me first: {point}."),
            ("*", "Let me show you."),
            ("*", "Here's what it looks like up close."),
            ("*", "It takes no time at all."),
            ("c", "I just use it like this."),
            ("e", "Check this out!"),
            ("p", "It's simple to use, with no learning curve."),
            ("y", "Easy enough that even I can't mess it up."),
        ),
        "benefit": (
            ("*", "The best part: {point}."),
            ("c", "And honestly, {point}, that's what sold me."),
            ("c", "Now I actually look forward to using it every day."),
            ("e", "It's so good, I'm not even exaggerating!"),
            ("e", "And {point}, I'm obsessed!"),
            ("*", "My favorite thing: {point}."),
            ("p", "The difference is clear: {point}."),
            ("p", "It delivers where it matters: {point}."),
            ("y", "Ten out of ten, would recommend to my cat."),
            ("y", "Also, {point}, which is just showing off."),
            ("c", "It's made my days so much easier."),
            ("*", "Total game changer."),
            ("*", "Plus: {point}."),
            ("*", "And it lasts."),
            ("c", "Honestly, I'm hooked."),
            ("e", "I'm never going back!"),
            ("p", "It's reliable, day after day."),
            ("y", "My routine has officially leveled up."),
        ),
        "cta": (
            ("*", "{cta}"),
            ("c", "Trust me on this one. {cta}"),
            ("e", "You need this! {cta}"),
            ("p", "Worth every penny. {cta}"),
            ("y", "Don't say I didn't warn you. {cta}"),
            ("c", "Go get {product}, you'll thank me later. {cta}"),
            ("e", "Go grab {product}! {cta}"),
            ("p", "{product} is worth a look. {cta}"),
            ("y", "Go on, treat yourself to {product}. {cta}"),
            ("*", "Get yours!"),
            ("*", "Link below!"),
        ),
    },
    "problem_solution": {
        "hook": (
            ("c", "^Tired of products that just don't deliver?"),
            ("ce", "If this sounds like you, keep watching."),
            ("e", "Okay, I finally fixed my biggest annoyance!"),
            ("p", "Here's a simple fix for a common problem."),
            ("p", "^Let's talk about a problem most of us share."),
            ("y", "^Raise your hand if this is you."),
            ("y", "^Okay, who else has this problem?"),
            ("c", "I found the fix I was looking for, and it's {product}."),
            ("*", "This one's for you."),
            ("*", "^Meet {product}."),
            ("*", "Let me show you the fix."),
            ("c", "I finally found a fix, and it's so simple."),
            ("e", "This changed everything for me!"),
            ("p", "One common problem, one simple solution."),
        ),
        "problem": (
            ("c", "I kept trying things, and nothing really changed."),
            ("c", "It was frustrating, and honestly a waste of money."),
            ("*", "Everything I tried was either complicated or disappointing."),
            ("e", "I was so done with it, seriously!"),
            ("e", "It drove me crazy every single day!"),
            ("p", "Most solutions are complicated, slow, or simply ineffective."),
            ("p", "The usual options cost time and rarely work."),
            ("y", "My old routine was a whole mess, a tragedy in three acts."),
            ("y", "I tried everything, and everything tried my patience."),
            ("c", "And the worst part? It kept happening."),
            ("*", "Nothing worked for me."),
            ("*", "It was honestly so frustrating."),
            ("c", "I spent way too long trying to fix it."),
            ("p", "It costs time, money and patience."),
            ("y", "My patience had officially left the chat."),
            ("e", "It was driving me up the wall!"),
        ),
        "demo": (
            ("*", "^Then I found {product}."),
            ("c", "^Then I tried {product}, and it fixed all of that."),
            ("e", "^Enter {product}, and wow!"),
            ("p", "{product} solves it simply: {point}."),
            ("*", "Here's how it works: {point}."),
            ("c", "It's honestly so easy, look."),
            ("y", "^Enter the hero of this story, {product}."),
            ("p", "Here it is in practice."),
            ("*", "Look how simple this is."),
            ("e", "Watch this, it takes seconds!"),
            ("*", "Here's what I do now."),
            ("c", "I just use it like this, so easy."),
            ("p", "Using it takes only a moment."),
            ("y", "And just like that, it's handled."),
            ("e", "It's so easy!"),
        ),
        "benefit": (
            ("*", "Problem solved: {point}."),
            ("c", "Now it's just not a problem anymore."),
            ("e", "And {point}, finally!"),
            ("p", "The result: {point}."),
            ("p", "It simply works, every time."),
            ("y", "Problem? What problem?"),
            ("*", "Plus: {point}."),
            ("c", "Honestly, I wish I'd found it sooner."),
            ("*", "It just works."),
            ("*", "Now it just works."),
            ("c", "It's honestly such a relief."),
            ("e", "I'm so happy I found this!"),
            ("p", "Consistent results, every single time."),
            ("y", "Crisis averted, officially."),
        ),
        "cta": (
            ("*", "{cta}"),
            ("c", "Fix it for yourself. {cta}"),
            ("e", "Don't wait! {cta}"),
            ("p", "Solve it today. {cta}"),
            ("y", "Your future self says thanks. {cta}"),
            ("*", "Get yours!"),
            ("*", "Link below!"),
        ),
    },
    "testimonial": {
        "hook": (
            ("c", "I've been using {product} for a month, here's my honest take."),
            ("c", "^Let me tell you about {product}."),
            ("cp", "My honest experience with {product}."),
            ("e", "I have to tell you about {product}!"),
            ("p", "After several weeks with {product}, here's my review."),
            ("y", "^Story time, and it has a happy ending."),
            ("y", "^Gather round, it's review time."),
            ("*", "^Hi, I'm {name}, here's my experience."),
            ("*", "^Real talk."),
            ("*", "^This is {product}."),
            ("c", "^So, I've been using {product} for a while now."),
            ("e", "^Okay, I'm finally reviewing {product}!"),
            ("p", "Here's my honest review of {product}."),
            ("y", "Review time, and spoiler: I love it."),
            ("*", "Let me tell you how this went."),
        ),
        "problem": (
            ("c", "Before this, I was skeptical, like really skeptical."),
            ("c", "I'd tried so many things that didn't work for me."),
            ("e", "I honestly didn't expect much!"),
            ("p", "I was doubtful at first, given my past experiences."),
            ("y", "I went in with very low expectations, my usual."),
            ("*", "I'd been let down before."),
            ("*", "I almost didn't try it."),
            ("c", "I'll be honest, I didn't expect it to work."),
            ("e", "I was so ready to be disappointed!"),
            ("p", "My expectations were modest."),
            ("y", "Me, a skeptic? Always."),
            ("*", "I'd tried everything before this."),
        ),
        "demo": (
            ("c", "I started using it every single day."),
            ("*", "This is how I use it."),
            ("c", "I just made it part of my routine."),
            ("e", "The first time I tried it, wow!"),
            ("p", "I used it daily, exactly as directed."),
            ("*", "Right away I noticed: {point}."),
            ("y", "Day one, I was already impressed, rude."),
            ("*", "It's so easy to use."),
            ("*", "Here's how I use it every day."),
            ("c", "It fit right into my routine."),
            ("e", "And from day one, I loved it!"),
            ("p", "I built it into my daily routine."),
            ("y", "Now it lives in my daily routine, rent-free."),
        ),
        "benefit": (
            ("*", "A few weeks in: {point}."),
            ("c", "I'm honestly impressed with the results."),
            ("e", "The results? Amazing!"),
            ("p", "The results have been consistent: {point}."),
            ("y", "Now I'm that person who won't stop talking about it."),
            ("*", "What I love most: {point}."),
            ("c", "It's become a staple for me."),
            ("*", "I'm genuinely happy with it."),
            ("*", "Plus: {point}."),
            ("c", "I honestly didn't expect to love it this much."),
            ("e", "I'm so impressed!"),
            ("p", "It's earned a permanent place in my routine."),
            ("y", "Ten out of ten, no notes."),
            ("*", "It really works for me."),
        ),
        "cta": (
            ("*", "{cta}"),
            ("c", "If you're on the fence, just try it. {cta}"),
            ("e", "You won't regret it! {cta}"),
            ("p", "I recommend it. {cta}"),
            ("y", "Consider this your sign. {cta}"),
            ("*", "Get yours!"),
            ("*", "Link below!"),
        ),
    },
}

# Extra demo lines that fit how the product is shown.
_EN_DEMO_BY_MODE: Final[dict[str, tuple[_T, ...]]] = {
    "holdable": (("*", "It fits right in my hand."), ("c", "Super easy to take anywhere.")),
    "display_static": (("*", "It looks so good just sitting here."),
                       ("c", "It fits right into my space.")),
    "wearable": (("*", "Look how it fits."), ("c", "And it's so comfortable to wear.")),
    "applied": (("*", "A little goes a long way."), ("c", "It goes on so smoothly.")),
}

_EN_CTA_DEFAULT: Final[dict[str, tuple[str, ...]]] = {
    "conversational": ("Check the link to get yours.", "Grab yours at the link."),
    "energetic": ("Tap the link and grab yours today!", "Get yours now!"),
    "professional": ("Find it at the link below.", "Learn more at the link."),
    "playful": ("Go, get yours, I'll wait.", "Link's right there, go!"),
}

_EN_GENERIC_POINTS: Final = (
    "it's so easy to use",
    "it actually does what it says",
    "it fits right into my routine",
    "the quality feels really premium",
)

# Short templates for a few major languages (tone only changes the ending punctuation).
_INTL: Final[dict[str, dict[str, tuple[str, ...]]]] = {
    "es": {
        "hook": ("^¡Hola, soy {name} y tengo que enseñarte algo!", "Tienes que ver {product}.",
                 "Mira esto, de verdad.", "Necesito hablar de {product}."),
        "problem": ("Nada de lo que probaba me funcionaba.",
                    "Siempre gastaba dinero en cosas que no servían.",
                    "Todo era complicado o decepcionante."),
        "demo": ("Mira qué fácil es usarlo.", "Así es como lo uso.", "Lo mejor: {point}.",
                 "Aquí tienes {product} en acción."),
        "benefit": ("Ahora lo uso todos los días.", "Y además, {point}.",
                    "De verdad, ha cambiado mi rutina.", "Lo que más me gusta: {point}."),
        "cta": ("{cta}", "¡Consigue el tuyo hoy!", "Pruébalo, no te vas a arrepentir."),
    },
    "fr": {
        "hook": ("^Salut, c'est {name}, il faut que je te montre ça.",
                 "Il faut absolument que je te parle de {product}.", "Regarde ça, sérieusement."),
        "problem": ("Rien de ce que j'essayais ne marchait vraiment.",
                    "J'en avais marre de gaspiller mon argent.",
                    "Tout était compliqué ou décevant."),
        "demo": ("Regarde comme c'est simple.", "Voilà comment je l'utilise.",
                 "Le petit plus, {point}.", "Voici {product} en action."),
        "benefit": ("Maintenant je l'utilise tous les jours.", "Et en plus, {point}.",
                    "Franchement, ça a changé ma routine.", "Ce que je préfère, {point}."),
        "cta": ("{cta}", "Fonce, tu ne le regretteras pas.", "Découvre-le dès maintenant."),
    },
    "de": {
        "hook": ("^Hi, ich bin {name} und muss dir was zeigen!",
                 "Ich muss unbedingt über {product} reden.", "Schau dir das an, ehrlich."),
        "problem": ("Nichts, was ich probiert habe, hat wirklich funktioniert.",
                    "Ich hatte es satt, Geld für Dinge auszugeben, die nichts bringen.",
                    "Alles war kompliziert oder enttäuschend."),
        "demo": ("Schau, wie einfach das ist.", "So benutze ich es.", "Das Beste: {point}.",
                 "Hier ist {product} in Aktion."),
        "benefit": ("Jetzt benutze ich es jeden Tag.", "Und dazu noch: {point}.",
                    "Ehrlich, das hat meine Routine verändert.",
                    "Was ich am meisten mag: {point}."),
        "cta": ("{cta}", "Hol es dir jetzt!", "Probier es aus, du wirst es nicht bereuen."),
    },
    "pt": {
        "hook": ("^Oi, eu sou {name} e preciso te mostrar uma coisa!",
                 "Preciso falar sobre {product}.", "Olha isso, sério."),
        "problem": ("Nada do que eu testava funcionava de verdade.",
                    "Eu vivia gastando dinheiro com coisas que não funcionavam.",
                    "Tudo era complicado ou decepcionante."),
        "demo": ("Olha como é fácil de usar.", "É assim que eu uso.", "O melhor: {point}.",
                 "Aqui está {product} em ação."),
        "benefit": ("Agora eu uso todos os dias.", "E ainda por cima, {point}.",
                    "Sério, mudou minha rotina.", "O que eu mais amo: {point}."),
        "cta": ("{cta}", "Garanta o seu hoje!", "Experimenta, você não vai se arrepender."),
    },
}

_INTL_GENERIC_POINTS: Final[dict[str, tuple[str, ...]]] = {
    "es": ("es facilísimo de usar", "hace exactamente lo que promete"),
    "fr": ("c'est super simple à utiliser", "ça fait vraiment ce que ça promet"),
    "de": ("es ist super einfach", "es hält, was es verspricht"),
    "pt": ("é super fácil de usar", "faz exatamente o que promete"),
}

_SLOT: Final = re.compile(r"\{(product|name|place|point|cta)\}")

_PLACES: Final = (
    ("living room", "my living room"), ("kitchen", "my kitchen"), ("bathroom", "my bathroom"),
    ("bedroom", "my bedroom"), ("office", "my office"), ("desk", "my desk setup"),
    ("gym", "the gym"), ("car", "my car"), ("garden", "my garden"), ("balcony", "my balcony"),
    ("studio", "my studio"), ("vanity", "my vanity"), ("closet", "my closet"),
)


# --- composing lines ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Candidate:
    text: str
    words: float  # spoken length (see spoken_length), what the budget limits
    keys: tuple[str, ...]  # template identities, so no template is used twice
    points: int  # selling points consumed
    mentions_product: bool
    tier: int  # how good a fit the wording is (see _Writer._templates)
    sources: tuple[str, ...]  # the templates, to render again with later selling points


class _Writer:
    """Holds what one script has used so far: templates, selling points, product mentions."""

    def __init__(self, request: ScriptRequest, language: str, rng: random.Random) -> None:
        self.request = request
        self.language = language
        self.rng = rng
        self.tone = request.script_tone
        self.used: set[str] = set()
        self.used_texts: set[str] = set()  # the same wording can sit in two structures' banks
        points = [p.strip().rstrip(".!?;,:") for p in request.key_selling_points if p.strip()]
        generic = (_EN_GENERIC_POINTS if language == "en"
                   else _INTL_GENERIC_POINTS.get(language, _EN_GENERIC_POINTS))
        # Given points first; generic ones keep {point} wording usable once those run out.
        self.points = points + [g for g in generic if g not in points]
        self.own_points = len(points)
        self.point_ix = 0
        self.product_said = False
        self.product_key = request.product_name.strip().lower()
        self.place = _place(request.environment_description)
        cta = " ".join((request.cta_text or "").split())
        self.user_cta = (cta if cta[-1] in ".!?…" else cta + ".") if cta else None

    def _templates(self, phase: ScriptPhase) -> list[tuple[str, str, int]]:
        """(key, text, tier) for ``phase``; a lower tier is a better fit.

        0: unused, in this structure and tone; 1: unused, another tone; 2: unused, another
        structure; 3: already used in this script (repeated only when all else is spent).
        """
        if self.language != "en":
            keyed = [(f"{self.language}:{phase}:{i}", t)
                     for i, t in enumerate(_INTL[self.language][phase])]
            return [(k, t, 3 if k in self.used else 0) for k, t in keyed]
        tag = {"conversational": "c", "energetic": "e", "professional": "p", "playful": "y"}[
            self.tone
        ]
        out: list[tuple[str, str, int]] = []
        for structure, phases in _EN.items():
            entries = phases[phase]
            if phase == "demo":
                entries = entries + _EN_DEMO_BY_MODE.get(self.request.interaction_mode, ())
            for i, (tags, text) in enumerate(entries):
                if "{place}" in text and not self.place:
                    continue
                key = f"{structure}:{phase}:{i}"
                own = structure == self.request.script_structure
                toned = "*" in tags or tag in tags
                if key in self.used or text in self.used_texts:
                    if own and toned:
                        out.append((key, text, 3))
                    continue
                out.append((key, text, 0 if own and toned else 1 if own else 2))
        return out

    def _cta(self) -> str:
        if self.user_cta:
            return self.user_cta
        if self.language == "en":
            return self.rng.choice(_EN_CTA_DEFAULT[self.tone])
        return ""

    def _render(self, text: str, point_offset: int) -> tuple[str, int] | None:
        """Fill a template's slots; None when a slot has nothing to fill it with."""
        values = {
            "product": self.request.product_name.strip(),
            "name": self.request.persona.name,
            "place": self.place or "",
        }
        points_used = 0
        if "{point}" in text:
            ix = self.point_ix + point_offset
            if ix >= len(self.points):
                return None
            values["point"] = self.points[ix]
            points_used = 1
        if "{cta}" in text:
            values["cta"] = self._cta()
            if not values["cta"]:
                return None
        # One pass, so text inside a filled slot is never read as a slot itself.
        out = _SLOT.sub(lambda m: values.get(m.group(1), m.group(0)), text.lstrip("^"))
        if self.language != "en" and self.tone == "energetic" and out.endswith("."):
            out = out[:-1] + "!"
        return " ".join(out.split()), points_used

    def candidates(self, phase: ScriptPhase, budget: int, *, allow_pairs: bool) -> list[_Candidate]:
        """Renderings of unused templates for ``phase`` that fit ``budget``, shortest first.

        With ``allow_pairs``, two sentences of the phase together are candidates too: they
        fill a long segment that one sentence would leave half silent.
        """
        templates = self._templates(phase)
        # The best tier whose wording fits; the next one joins only while fewer than four fit.
        pool: list[tuple[str, str, int]] = []
        found: list[_Candidate] = []
        for tier in range(4):
            level = [t for t in templates if t[2] == tier]
            self.rng.shuffle(level)
            for key, text, rank in level:
                rendered = self._render(text, 0)
                if rendered is not None:
                    pool.append((key, text, rank))
                    found.append(self._candidate(rendered, (key,), rank, (text,)))
            if sum(c.words <= budget for c in found) >= 4:
                break
        if allow_pairs and phase != "cta":
            singles = [t for t, c in zip(pool, found, strict=True) if c.words < budget]
            for (k1, t1, r1), (k2, t2, r2) in itertools.permutations(singles[:8], 2):
                if t2.startswith("^"):
                    continue
                first = self._render(t1, 0)
                second = self._render(t2, first[1]) if first else None
                if first and second:
                    found.append(self._candidate((f"{first[0]} {second[0]}",
                                                  first[1] + second[1]), (k1, k2), max(r1, r2),
                                                 (t1, t2)))
        fitting = [c for c in found if c.words <= budget]
        return sorted(fitting or sorted(found, key=lambda c: c.words)[:1], key=lambda c: c.words)

    def _candidate(
        self, rendered: tuple[str, int], keys: tuple[str, ...], tier: int,
        sources: tuple[str, ...],
    ) -> _Candidate:
        text, points = rendered
        return _Candidate(text, spoken_length(text), keys, points, self._says(text), tier,
                          sources)

    def _realise(self, combo: tuple[_Candidate, ...]) -> tuple[_Candidate, ...] | None:
        """The combination as spoken: each {point} takes the next point not yet taken."""
        out = []
        offset = 0
        for c in combo:
            if c.points and offset:
                texts = []
                taken = 0
                for src in c.sources:
                    rendered = self._render(src, offset + taken)
                    if rendered is None:
                        return None
                    texts.append(rendered[0])
                    taken += rendered[1]
                c = self._candidate((" ".join(texts), taken), c.keys, c.tier, c.sources)
            out.append(c)
            offset += c.points
        return tuple(out)

    def _says(self, text: str) -> bool:
        return self.product_key in text.lower()

    def line(self, phases: tuple[ScriptPhase, ...], budget: int) -> str:
        """One or two sentences per phase, filling ``budget`` words as well as possible.

        When the phases cannot all fit (a short single-segment ad), less important ones are
        dropped (problem, then demo, hook, benefit; never all), whichever way scores best.
        """
        options = []
        for kept in _reductions(phases):
            found = self._best(kept, budget)
            if found is None:
                continue
            # Dropping a phase costs something, but less than losing the advertiser's call to
            # action or the product's name.
            options.append((found[0] - 0.3 * (len(phases) - len(kept)), found[1]))
            if len(kept) == len(phases):
                break  # everything fits: nothing needs dropping
        if options:
            combo = max(options, key=lambda o: o[0])[1]
            for c in combo:
                self.used.update(c.keys)
                self.used_texts.update(c.sources)
                self.point_ix += c.points
                self.product_said = self.product_said or c.mentions_product
            return " ".join(c.text for c in combo)
        # Not even one sentence fits: the shortest one, cut to the budget.
        shortest = min((c for p in phases for c in self.candidates(p, budget, allow_pairs=False)),
                       key=lambda c: c.words)
        text = " ".join(shortest.text.split()[:budget])
        return text if text[-1] in ".!?" else text.rstrip(",;:") + "."

    def _best(
        self, phases: tuple[ScriptPhase, ...], budget: int
    ) -> tuple[float, tuple[_Candidate, ...]] | None:
        """The best-scoring fitting combination for ``phases`` and its score, if any fits."""
        # Keep the search small (a five-phase line has 7^5 combinations at most), but always
        # keep the two shortest options so a tight budget still finds a fit.
        cap = {1: 10_000, 2: 40, 3: 14, 4: 9}.get(len(phases), 7)
        per_phase = []
        for p in phases:
            found = self.candidates(p, budget, allow_pairs=len(phases) <= 2)
            if len(found) > cap:
                # Always keep the shortest options and the shortest that names the product.
                keep = found[:2] + [c for c in found[2:] if c.mentions_product][:1]
                rest = [c for c in found if c not in keep]
                found = keep + self.rng.sample(rest, cap - len(keep))
            per_phase.append(found)
        best: tuple[float, tuple[_Candidate, ...]] | None = None
        for options in itertools.product(*per_phase):
            combo = self._realise(options)
            if combo is None:
                continue
            # The sentences of a line meet at full stops: count those pauses too.
            total = sum(c.words for c in combo) + _SENTENCE_PAUSE * (len(combo) - 1)
            if total > budget:
                continue
            keys = [k for c in combo for k in c.keys]
            if len(set(keys)) != len(keys):
                continue
            # Fill the segment, prefer on-tone fresh wording, name the product early and at the
            # close, but not twice in one line; a little chance for variety.
            mentions = sum(c.text.lower().count(self.product_key) for c in combo)
            score = total / budget + 0.25 * self.rng.random()
            score -= 0.3 * sum(c.tier for c in combo)
            if mentions and not self.product_said:
                score += 0.5
            elif mentions and "cta" in phases:
                score += 0.15
            score -= 0.5 * max(0, mentions - 1)
            # The request's own call to action is what the advertiser wants said: say it.
            if self.user_cta and any(self.user_cta in c.text for c in combo):
                score += 1.0
            # The request's own selling points are the substance of the ad: use them.
            taken = sum(c.points for c in combo)
            score += 0.3 * max(0, min(self.point_ix + taken, self.own_points) - self.point_ix)
            if best is None or score > best[0]:
                best = (score, combo)
        return best


def _reductions(phases: tuple[ScriptPhase, ...]) -> list[tuple[ScriptPhase, ...]]:
    """``phases``, then with the least important dropped one by one (never all of them)."""
    out = [phases]
    kept = list(phases)
    for drop in ("problem", "demo", "hook", "benefit"):
        if drop in kept and len(kept) > 1:
            kept.remove(drop)
            out.append(tuple(kept))
    return out


def _place(environment: str | None) -> str | None:
    if not environment:
        return None
    lowered = environment.lower()
    for keyword, phrase in _PLACES:
        if keyword in lowered:
            return phrase
    return None


# --- custom scripts ----------------------------------------------------------------------------

_SENTENCE_END = re.compile(r"[.!?…。！？]['\"”’)\]]*$")
_CLAUSE_END = re.compile(r"[,;:，；：、—–-]['\"”’)\]]*$")
_NO_SPACE_SCRIPT = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u0e00-\u0e7f]")


def split_custom_script(text: str, segment_count: int, budget: int) -> list[str]:
    """Split ``text`` into ``segment_count`` lines without changing a word.

    Cuts prefer sentence ends, then clause ends (commas, semicolons, dashes), then any word
    boundary, and keep the lines' word counts close to each other and within ``budget``.
    ``" ".join(lines)`` equals the text with its whitespace normalised. Text in a script
    without spaces (Chinese, Japanese, Thai) is cut between characters when it has too few
    words; there the lines concatenate back to the text (spaces at the cuts dropped).
    """
    units = text.split()
    glue = " "
    if len(units) < segment_count or (
        _NO_SPACE_SCRIPT.search(text) and len(units) < 2 * segment_count
    ):
        joined = " ".join(units)
        if _NO_SPACE_SCRIPT.search(joined):
            units = _cjk_units(joined)
            glue = ""
    if len(units) < segment_count:
        raise PermanentProviderError(
            f"the custom script has {len(units)} words, too few for {segment_count} segments",
            provider=PROVIDER,
        )
    n = len(units)
    weights = [max(1, len(u)) if glue == "" else 1 for u in units]
    prefix = [0, *itertools.accumulate(weights)]
    ideal = prefix[-1] / segment_count
    cap = budget if glue == " " else math.inf

    def boundary_cost(i: int) -> float:
        # Cost of cutting after unit i-1 (so the next line starts with unit i).
        prev = units[i - 1]
        if _SENTENCE_END.search(prev):
            return 0.0
        if _CLAUSE_END.search(prev):
            return 0.3
        return 1.0

    def line_cost(a: int, b: int) -> float:
        size = prefix[b] - prefix[a]
        cost = ((size - ideal) / ideal) ** 2
        if size > cap:
            cost += 5.0 * (size - cap) / cap
        return cost

    # Dynamic programme over cut positions: best[k][b] = cheapest way to put units[:b] in k
    # lines. A line longer than three ideal lines is never worth considering.
    inf = math.inf
    longest = max(3 * math.ceil(n / segment_count), 1)
    best = [[inf] * (n + 1) for _ in range(segment_count + 1)]
    back = [[0] * (n + 1) for _ in range(segment_count + 1)]
    best[0][0] = 0.0
    for k in range(1, segment_count + 1):
        for b in range(k, n - (segment_count - k) + 1):
            for a in range(max(k - 1, b - longest), b):
                if best[k - 1][a] == inf:
                    continue
                cost = best[k - 1][a] + line_cost(a, b) + (boundary_cost(a) if a > 0 else 0.0)
                if cost < best[k][b]:
                    best[k][b], back[k][b] = cost, a
    cuts = [n]
    for k in range(segment_count, 0, -1):
        cuts.append(back[k][cuts[-1]])
    cuts.reverse()
    return [glue.join(units[cuts[i] : cuts[i + 1]]).strip() for i in range(segment_count)]


def _cjk_units(text: str) -> list[str]:
    """Characters as units; punctuation and spaces stay on the unit before them, and runs of
    ASCII letters or digits (a brand name, a number) stay whole."""
    units: list[str] = []
    for ch in text:
        if units:
            last = units[-1][-1]
            latin_run = ch.isascii() and ch.isalnum() and last.isascii() and last.isalnum()
            if ch.isspace() or not ch.isalnum() or latin_run:
                units[-1] += ch
                continue
        units.append(ch)
    return units


# --- the keyframe plan -------------------------------------------------------------------------

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


def _hex_rgb(value: str) -> tuple[float, float, float] | None:
    match = re.fullmatch(r"#?([0-9a-fA-F]{6})", value.strip())
    if not match:
        return None
    n = int(match.group(1), 16)
    return ((n >> 16) & 255) / 255.0, ((n >> 8) & 255) / 255.0, (n & 255) / 255.0


def skin_words(value: str) -> str:
    """A plain description of a skin tone given as a hex colour."""
    rgb = _hex_rgb(value)
    if rgb is None:
        return value
    luma = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2]
    for limit, words in ((0.72, "fair"), (0.6, "light"), (0.5, "medium"), (0.4, "tan"),
                         (0.28, "brown")):
        if luma >= limit:
            return words
    return "deep brown"


def hair_words(value: str) -> str:
    """A plain description of a hair colour given as a hex colour."""
    rgb = _hex_rgb(value)
    if rgb is None:
        return value
    h, lightness, s = colorsys.rgb_to_hls(*rgb)
    if s < 0.12:
        return "black" if lightness < 0.2 else "grey" if lightness < 0.75 else "white"
    if lightness < 0.1:
        return "black"
    if lightness < 0.22:
        return "dark brown"
    if h * 360 < 40 and s > 0.45 and lightness < 0.5:
        return "auburn"
    if lightness < 0.4:
        return "brown"
    return "light brown" if lightness < 0.55 else "blonde"


def colour_words(value: str) -> str:
    """A plain colour name (with light/dark) for a hex colour."""
    rgb = _hex_rgb(value)
    if rgb is None:
        return value
    h, lightness, s = colorsys.rgb_to_hls(*rgb)
    if s < 0.15:
        return "black" if lightness < 0.2 else "grey" if lightness < 0.8 else "white"
    deg = h * 360
    names = ((15, "red"), (40, "orange"), (65, "yellow"), (160, "green"), (195, "teal"),
             (250, "blue"), (290, "purple"), (335, "magenta"), (360, "red"))
    name = next(n for limit, n in names if deg < limit)
    if lightness < 0.3:
        return f"dark {name}"
    if lightness > 0.72:
        return f"light {name}"
    return name


def persona_words(persona: Persona) -> str:
    description = persona.description.strip().rstrip(".")
    if description:
        description = description[0].lower() + description[1:]
    return (f"{persona.name}, {description}, {skin_words(persona.skin)} skin, "
            f"{hair_words(persona.hair)} hair, wearing a {colour_words(persona.top)} top")


def _lookup(table: tuple[tuple[str, str], ...], text: str, default: str) -> str:
    lowered = text.lower()
    return next((v for k, v in table if k in lowered), default)


class _Planner:
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


# --- the agent ---------------------------------------------------------------------------------


def _validate(request: ScriptRequest) -> None:
    problems = []
    if request.segment_count < 1:
        problems.append(f"segment_count must be at least 1, got {request.segment_count}")
    if not (request.segment_duration > 0 and math.isfinite(request.segment_duration)):
        problems.append(f"segment_duration must be positive, got {request.segment_duration}")
    if request.script_structure not in SCRIPT_STRUCTURES:
        problems.append(f"unknown script structure {request.script_structure!r}")
    if request.script_tone not in SCRIPT_TONES:
        problems.append(f"unknown script tone {request.script_tone!r}")
    if request.interaction_mode not in INTERACTION_MODES:
        problems.append(f"unknown interaction mode {request.interaction_mode!r}")
    if not request.product_name.strip():
        problems.append("product_name is empty")
    if request.custom_script is not None and not request.custom_script.strip():
        problems.append("custom_script is empty")
    if problems:
        raise PermanentProviderError("; ".join(problems), provider=PROVIDER)


def _base_language(language: str) -> str:
    return re.split(r"[-_]", language.strip().lower())[0] if language.strip() else "en"


class LocalScriptAgent:
    """Offline :class:`~ugen.providers.base.ScriptAgent` on seeded templates."""

    def write_script(self, request: ScriptRequest) -> Script:
        """Write the lines, keyframe plan and motion prompts for ``request``.

        The same request (seed included) always gives the same script. Without a custom
        script, lines are written in the request's language where templates exist (en, es,
        fr, de, pt) and in English otherwise; ``Script.language`` says which.

        Raises:
            PermanentProviderError: an invalid request, or a custom script with fewer words
                than segments.
        """
        _validate(request)
        rng = random.Random(
            f"ugen-script|{request.seed}|{request.product_name}|{request.script_structure}|"
            f"{request.script_tone}|{request.segment_count}|{request.persona.id}"
        )
        budget = max_words(request.segment_duration)
        plan = phase_plan(request.segment_count, request.script_structure)
        line_phases: list[ScriptPhase] = [group[0] for group in plan]

        if request.custom_script is not None:
            language = request.language
            texts = split_custom_script(request.custom_script, request.segment_count, budget)
        else:
            base = _base_language(request.language)
            language = request.language if base in TEMPLATE_LANGUAGES else "en"
            writer = _Writer(request, base if base in TEMPLATE_LANGUAGES else "en", rng)
            texts = [writer.line(group, budget) for group in plan]

        lines = tuple(
            ScriptLine(segment_index=i, phase=line_phases[i], text=text,
                       target_duration_s=request.segment_duration)
            for i, text in enumerate(texts)
        )
        keyframes, motions = _Planner(request, rng).plan(line_phases)
        return Script(lines=lines, keyframes=keyframes, language=language,
                      segment_prompts=motions)

