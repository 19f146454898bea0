"""Quality assurance of generated keyframes and video segments.

:mod:`ugen.qa.base` holds the verdict and the judge interfaces; :mod:`ugen.qa.pixels` holds
judges that look only at pixels (no model), fast enough to run on every generation.
"""

from ugen.qa.base import (
    FAIL_CATEGORIES,
    QAI_THRESHOLDS,
    KeyframeJudge,
    QaVerdict,
    SegmentJudge,
    threshold_for,
)
from ugen.qa.pixels import PixelKeyframeJudge, PixelSegmentJudge

__all__ = [
    "FAIL_CATEGORIES",
    "QAI_THRESHOLDS",
    "KeyframeJudge",
    "PixelKeyframeJudge",
    "PixelSegmentJudge",
    "QaVerdict",
    "SegmentJudge",
    "threshold_for",
]
