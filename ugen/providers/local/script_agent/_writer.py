"""The script writer: one spoken line per segment, from the phrase tables, within its budget.

A line carries one or more phases (see :func:`._pacing.phase_plan`); the writer picks unused,
on-tone templates, fills their slots (product, persona name, place, selling point, call to
action) and chooses the combination that fills the segment best, dropping less important
phases when they cannot all fit.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

from ugen.providers.base import ScriptPhase, ScriptRequest
from ugen.providers.local.script_agent._pacing import SENTENCE_PAUSE, spoken_length
from ugen.providers.local.script_agent._phrases import (
    EN_CTA_DEFAULT,
    EN_DEMO_BY_MODE,
    EN_GENERIC_POINTS,
    EN_TEMPLATES,
    INTL_GENERIC_POINTS,
    INTL_TEMPLATES,
    PLACES,
    SLOT,
)


@dataclass(frozen=True)
class _Candidate:
    text: str
    words: float  # spoken length (see spoken_length), what the budget limits
    keys: tuple[str, ...]  # template identities, so no template is used twice
    points: int  # selling points consumed
    mentions_product: bool
    tier: int  # how good a fit the wording is (see LineWriter._templates)
    sources: tuple[str, ...]  # the templates, to render again with later selling points


class LineWriter:
    """Holds what one script has used so far: templates, selling points, product mentions."""

    def __init__(self, request: ScriptRequest, language: str, rng: random.Random) -> None:
        self.request = request
        self.language = language
        self.rng = rng
        self.tone = request.script_tone
        self.used: set[str] = set()
        self.used_texts: set[str] = set()  # the same wording can sit in two structures' banks
        points = [p.strip().rstrip(".!?;,:") for p in request.key_selling_points if p.strip()]
        generic = (EN_GENERIC_POINTS if language == "en"
                   else INTL_GENERIC_POINTS.get(language, EN_GENERIC_POINTS))
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
                     for i, t in enumerate(INTL_TEMPLATES[self.language][phase])]
            return [(k, t, 3 if k in self.used else 0) for k, t in keyed]
        tag = {"conversational": "c", "energetic": "e", "professional": "p", "playful": "y"}[
            self.tone
        ]
        out: list[tuple[str, str, int]] = []
        for structure, phases in EN_TEMPLATES.items():
            entries = phases[phase]
            if phase == "demo":
                entries = entries + EN_DEMO_BY_MODE.get(self.request.interaction_mode, ())
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
            return self.rng.choice(EN_CTA_DEFAULT[self.tone])
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
        out = SLOT.sub(lambda m: values.get(m.group(1), m.group(0)), text.lstrip("^"))
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
            total = sum(c.words for c in combo) + SENTENCE_PAUSE * (len(combo) - 1)
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
    for keyword, phrase in PLACES:
        if keyword in lowered:
            return phrase
    return None
