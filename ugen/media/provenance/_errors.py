"""Errors of Content Credentials (see the tree in :mod:`ugen.media.provenance`)."""

from __future__ import annotations

from pathlib import Path


class ProvenanceError(Exception):
    """Root of Content Credentials errors."""


class SignerConfigError(ProvenanceError):
    """The operator's signing certificate or key cannot be used; ``setting`` names the
    variable to fix."""

    def __init__(self, setting: str, reason: str) -> None:
        # Every attribute is an argument: DBOS keeps a step's error by pickling it.
        super().__init__(setting, reason)
        self.setting = setting
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.setting}: {self.reason}"


class SigningError(ProvenanceError):
    """The C2PA library refused to sign ``path``, or the signed file does not validate."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(path, reason)
        self.path = path
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.path.name}: {self.reason}"


class ManifestReadError(ProvenanceError):
    """The manifest store of ``path`` exists but cannot be read."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(path, reason)
        self.path = path
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.path.name}: {self.reason}"
