"""Fixtures of the media tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from media_kit import VideoFactory, video_factory


@pytest.fixture
def make_video(tmp_path: Path) -> VideoFactory:
    """Build an H.264 MP4 from testsrc2 (optionally with a sine track) and return its path."""
    return video_factory(tmp_path)
