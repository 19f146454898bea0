"""Content Credentials: every final video says, in a signed C2PA manifest, that a trained
algorithm made it and that U-Gen did.

:func:`ensure_signer` picks the credentials (the operator's certificate, else one made once
for this installation), :func:`sign_video` embeds the manifest, :func:`read_manifest` reads it
back as the C2PA library validates it, and :func:`ai_disclosure` answers what the social
posting step needs: does this video disclose that it is AI-generated, and how.

Errors::

    ProvenanceError
    ├── SignerConfigError    the operator's certificate or key cannot be used (``setting``)
    ├── SigningError         the library refused to sign, or the result does not validate
    └── ManifestReadError    a manifest store is there but cannot be read
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ugen.media.provenance._credentials import SigningCredentials, ensure_signer
from ugen.media.provenance._errors import (
    ManifestReadError,
    ProvenanceError,
    SignerConfigError,
    SigningError,
)
from ugen.media.provenance._manifest import (
    GENERATOR,
    TRAINED_ALGORITHMIC_MEDIA,
    ManifestSummary,
    manifest_definition,
    read_manifest,
    sign_video,
)

__all__ = [
    "GENERATOR",
    "TRAINED_ALGORITHMIC_MEDIA",
    "AiDisclosure",
    "ManifestReadError",
    "ManifestSummary",
    "ProvenanceError",
    "SignerConfigError",
    "SigningCredentials",
    "SigningError",
    "ai_disclosure",
    "ensure_signer",
    "manifest_definition",
    "read_manifest",
    "sign_and_check",
    "sign_video",
]


@dataclass(frozen=True)
class AiDisclosure:
    """How a video discloses that it is AI-generated, for platforms' AI labels (YouTube's
    ``containsSyntheticMedia``, TikTok's AI-generated content flag...)."""

    standard: Literal["c2pa"]
    ai_generated: bool
    """The manifest's digital source type is (composite with) trained algorithmic media."""
    digital_source_type: str | None
    valid: bool
    """The manifest validates (a signer outside the reader's trust list apart); a video
    changed after signing still says AI, but its manifest no longer proves it."""


def ai_disclosure(path: Path) -> AiDisclosure | None:
    """The AI disclosure ``path`` carries, or None when it carries no C2PA manifest.

    Raises:
        ManifestReadError: a manifest store is there but cannot be read.
    """
    summary = read_manifest(path)
    if summary is None:
        return None
    return AiDisclosure(standard="c2pa", ai_generated=summary.ai_generated,
                        digital_source_type=summary.digital_source_type,
                        valid=summary.is_valid)


def sign_and_check(src: Path, dst: Path, credentials: SigningCredentials, *,
                   title: str) -> ManifestSummary:
    """Sign ``src`` into ``dst`` and read the manifest back: what the final video carries.

    Raises:
        SigningError: signing failed, or the signed file's manifest does not validate.
    """
    sign_video(src, dst, credentials, title=title)
    summary = read_manifest(dst)
    if summary is None or not summary.is_valid or not summary.ai_generated:
        found = "no manifest" if summary is None else (
            f"state {summary.validation_state}, failures {list(summary.failures)}, "
            f"source type {summary.digital_source_type}")
        raise SigningError(dst, f"the signed video does not validate: {found}")
    return summary
