"""Write and read the C2PA manifest of a video: the C2PA library stays inside this module.

The manifest says the video was created (``c2pa.created``) by a trained algorithm (IPTC
digital source type ``trainedAlgorithmicMedia``) with U-Gen as the software agent and the
claim generator. The library embeds it in a ``uuid`` box after ``ftyp`` and hashes the rest
of the file (a BMFF hash), so the pictures and sound are untouched and any later change to
them makes the manifest fail validation.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import c2pa

from ugen import __version__
from ugen.media.provenance._credentials import SigningCredentials
from ugen.media.provenance._errors import ManifestReadError, SigningError

GENERATOR = "U-Gen"
TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
AI_SOURCE_TYPES = frozenset({
    TRAINED_ALGORITHMIC_MEDIA,
    "http://cv.iptc.org/newscodes/digitalsourcetype/compositeWithTrainedAlgorithmicMedia",
})
"""IPTC digital source types that mean "made, in whole or part, by generative AI"."""
UNTRUSTED_SIGNER = "signingCredential.untrusted"
"""The one failure a valid manifest signed by a certificate outside the reader's trust list
reports (every installation certificate)."""

CERTIFICATE_RULES = ("C2PA signs only with a certificate issued by a CA that has an "
                     "Authority Key Identifier, a critical digitalSignature key usage and an "
                     "emailProtection or documentSigning extended key usage")

_ALGS = {"es256": c2pa.C2paSigningAlg.ES256, "es384": c2pa.C2paSigningAlg.ES384,
         "es512": c2pa.C2paSigningAlg.ES512, "ps256": c2pa.C2paSigningAlg.PS256,
         "ed25519": c2pa.C2paSigningAlg.ED25519}

ValidationState = Literal["Invalid", "Valid", "Trusted"]
"""The C2PA library's verdict: ``Valid`` (hashes and signature check out), ``Trusted`` (and
the signer chains to a trust anchor of the reader), else ``Invalid``."""


@dataclass(frozen=True)
class ManifestSummary:
    """What a video's active C2PA manifest says, and whether it validates."""

    label: str
    title: str | None
    claim_generator: str | None
    """``<name>/<version>`` of the first claim generator (``U-Gen/0.1.0``)."""
    digital_source_type: str | None
    """Of the ``c2pa.created`` action (an IPTC digital source type URL)."""
    software_agent: str | None
    signer: str | None
    """The signing certificate's common name (else its issuer's organisation)."""
    signer_issuer: str | None
    signed_at: str | None
    """The time stamp authority's time (ISO 8601), when a time stamp was requested."""
    validation_state: ValidationState
    failures: tuple[str, ...] = ()
    """Validation failure codes of the active manifest (``assertion.bmffHash.mismatch``...)."""

    @property
    def untrusted_signer(self) -> bool:
        return UNTRUSTED_SIGNER in self.failures

    @property
    def is_valid(self) -> bool:
        """The manifest checks out, a signer outside the reader's trust list apart."""
        return (self.validation_state in ("Valid", "Trusted")
                and set(self.failures) <= {UNTRUSTED_SIGNER})

    @property
    def ai_generated(self) -> bool:
        return self.digital_source_type in AI_SOURCE_TYPES


def manifest_definition(*, title: str, version: str = __version__) -> dict[str, Any]:
    """The manifest U-Gen signs into every final video (the library adds the hashes)."""
    agent = {"name": GENERATOR, "version": version}
    return {
        "claim_generator_info": [agent],
        "title": title,
        "format": "video/mp4",
        "assertions": [{
            "label": "c2pa.actions.v2",
            "data": {"actions": [{
                "action": "c2pa.created",
                "digitalSourceType": TRAINED_ALGORITHMIC_MEDIA,
                "softwareAgent": agent,
                "description": "Video ad generated from a product image by AI models "
                               "(images, video, voice) and assembled by U-Gen.",
            }]},
        }],
    }


def sign_video(src: Path, dst: Path, credentials: SigningCredentials, *, title: str) -> None:
    """Write ``src`` to ``dst`` with a signed C2PA manifest embedded (MP4 only).

    Raises:
        SigningError: the library refused (a certificate it does not accept, a file it
            cannot parse); ``dst`` is then left incomplete for the caller to discard.
    """
    if src.resolve() == dst.resolve():
        raise SigningError(dst, "the signed copy must be written to another file")
    info = c2pa.C2paSignerInfo(_ALGS[credentials.alg], credentials.cert_chain_pem,
                               credentials.private_key_pem, credentials.tsa_url)
    try:
        with (c2pa.Context() as context, c2pa.Signer.from_info(info) as signer,
              c2pa.Builder(manifest_definition(title=title), context) as builder,
              src.open("rb") as source, dst.open("w+b") as dest):
            builder.sign(signer, "video/mp4", source, dest)
    except c2pa.C2paError as error:
        raise SigningError(src, f"C2PA signing failed ({credentials.source} "
                           f"certificate): {error}; {CERTIFICATE_RULES}") from error


def read_manifest(path: Path, *, trust_anchors: bytes | None = None) -> ManifestSummary | None:
    """The active C2PA manifest of ``path`` as validated by the C2PA library; None when the
    file carries none.

    Args:
        trust_anchors: PEM CA certificates the reader trusts (a signer chaining to one is
            ``Trusted``); none by default, so every signer reads as untrusted.

    Raises:
        ManifestReadError: there is a manifest store but it cannot be read.
    """
    settings = ({"trust": {"trust_anchors": trust_anchors.decode("ascii")}}
                if trust_anchors else {})
    try:
        with (c2pa.Context(c2pa.Settings.from_dict(settings)) as context,
              c2pa.Reader(path, context=context) as reader):
            store = json.loads(reader.json())
    except c2pa.C2paError.ManifestNotFound:
        return None
    except c2pa.C2paError as error:
        raise ManifestReadError(path, str(error)) from error
    return _summary(path, store)


def _summary(path: Path, store: dict[str, Any]) -> ManifestSummary:
    label = store.get("active_manifest")
    manifest = store.get("manifests", {}).get(label) if label else None
    if not isinstance(manifest, dict):
        raise ManifestReadError(path, "the manifest store has no active manifest")
    created = _created_action(manifest)
    signature = manifest.get("signature_info") or {}
    state = store.get("validation_state")
    return ManifestSummary(
        label=str(label), title=manifest.get("title"),
        claim_generator=_generator(manifest), digital_source_type=created.get("digitalSourceType"),
        software_agent=_agent(created.get("softwareAgent")),
        signer=signature.get("common_name") or signature.get("issuer"),
        signer_issuer=signature.get("issuer"), signed_at=signature.get("time"),
        validation_state=state if state in ("Valid", "Trusted") else "Invalid",
        failures=_failures(store))


def _created_action(manifest: dict[str, Any]) -> dict[str, Any]:
    for assertion in manifest.get("assertions", ()):
        if str(assertion.get("label", "")).startswith("c2pa.actions"):
            for action in assertion.get("data", {}).get("actions", ()):
                if action.get("action") == "c2pa.created":
                    return dict(action)
    return {}


def _generator(manifest: dict[str, Any]) -> str | None:
    infos = manifest.get("claim_generator_info") or ()
    if infos:
        first = infos[0]
        return f"{first['name']}/{first['version']}" if first.get("version") else first["name"]
    legacy = manifest.get("claim_generator")
    return str(legacy) if legacy else None


def _agent(agent: object) -> str | None:
    if isinstance(agent, dict):
        name, version = agent.get("name"), agent.get("version")
        return f"{name}/{version}" if version else (str(name) if name else None)
    return str(agent) if agent else None


def _failures(store: dict[str, Any]) -> tuple[str, ...]:
    results = (store.get("validation_results") or {}).get("activeManifest")
    entries = (results or {}).get("failure") if results else store.get("validation_status")
    return tuple(dict.fromkeys(str(e["code"]) for e in entries or () if "code" in e))
