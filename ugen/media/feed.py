"""The final render's pictures: a plan's segments decoded one after another into one encoder.

One ffmpeg process holding every segment open keeps every decoder alive at once, so its
memory grows with the ad's length. Here each segment gets a short-lived decoder process that
runs :func:`ugen.media.concat.segment_video_filters` (the same trim, retiming and BT.709
yuv420p letterboxing the one-call join uses) and writes raw frames to its stdout; they are
moved, in order, onto the stdin of the single encoder. One decoder lives at a time, whatever
the number of segments (the next one starts when the last has ended; the encoder's input
queue and look-ahead cover the start). Raw frames are lossless: the encode stays the only
lossy step.

Crossfades are made here, on the few frames around a join, exactly as the join's ``xfade``
(``fade``) would make them: over ``2h`` frames centred on the join, the pictures so far (their
last ``h`` frames, then the last one held) fade into the next segment (its first frame held,
then its first ``h`` frames), the next one weighing ``k / 2h`` in the ``k``-th. No frame is
added or removed.
"""

from __future__ import annotations

import numpy as np

from ugen.media.concat import ConcatPlan, SegmentPlan, check_blends, segment_video_filters
from ugen.media.errors import FFmpegError, InvalidSegmentError
from ugen.media.filters import chain
from ugen.media.pipes import Child, ProcessGroup, copy_exact, failure, read_exact, write_all
from ugen.media.runner import ffmpeg_argv

__all__ = ["crossfade", "decode_args", "encode_fed", "feed_frames", "frame_bytes"]

FEED_DECODE_THREADS = 2
"""Decoder threads of the one decoder running: two keep a 1080x1920 decode ahead of the
encoder on big machines, for about 7 MB more than one."""


def frame_bytes(width: int, height: int) -> int:
    """Size of one raw yuv420p frame (even ``width`` and ``height``)."""
    return width * height * 3 // 2


def decode_args(plan: SegmentPlan, *, width: int, height: int, fps: int) -> list[str]:
    """ffmpeg args (no binary) writing exactly ``plan.out_frames`` raw BT.709 yuv420p frames of
    ``width``×``height`` to stdout: the pictures this segment contributes to the join."""
    vf = chain(segment_video_filters(plan, width=width, height=height, fps=fps))
    return ["-threads", str(FEED_DECODE_THREADS), "-i", str(plan.path), "-map", "0:v:0",
            "-vf", vf, "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "yuv420p",
            "pipe:1"]


def crossfade(left: list[bytes], right: list[bytes]) -> list[bytes]:
    """The ``2h`` frames of a fade centred on a join (see the module docstring).

    Args:
        left: the last ``h`` frames before the join.
        right: the first ``h`` frames after it.
    """
    half = len(left)
    if half == 0 or len(right) != half:
        raise ValueError("a crossfade needs as many frames on each side, at least one")
    span = 2 * half
    faded = []
    for k in range(span):
        a = np.frombuffer(left[min(k, half - 1)], np.uint8).astype(np.float32)
        b = np.frombuffer(right[max(k - half, 0)], np.uint8).astype(np.float32)
        faded.append(np.rint(a + (b - a) * (k / span)).astype(np.uint8).tobytes())
    return faded


class _Decoder:
    """One segment's decoder process and the frames still expected from it."""

    def __init__(self, group: ProcessGroup, index: int, plan: SegmentPlan, *, width: int,
                 height: int, fps: int) -> None:
        self.group, self.index, self.plan = group, index, plan
        self.size = frame_bytes(width, height)
        self.left = plan.out_frames
        self.child: Child = group.start(
            ffmpeg_argv(decode_args(plan, width=width, height=height, fps=fps)), stdout=True)

    def read(self, frames: int) -> list[bytes]:
        """The next ``frames`` frames, in memory."""
        data = read_exact(self.child.stdout_fd(), frames * self.size)
        self._count(len(data), frames)
        return [data[i:i + self.size] for i in range(0, len(data), self.size)]

    def copy_to(self, sink: int, frames: int) -> None:
        """Move the next ``frames`` frames straight to ``sink``."""
        self._count(copy_exact(self.child.stdout_fd(), sink, frames * self.size), frames)

    def close(self) -> None:
        """Check the decoder ended cleanly after its last frame, and release it."""
        extra = read_exact(self.child.stdout_fd(), 1)
        code = self.group.wait(self.child)
        if code != 0:
            self._fail(failure(self.child, code), "cannot be decoded")
        if extra:
            self._fail(failure(self.child, code), "gave more frames than planned")
        self.group.release(self.child)

    def _count(self, got: int, frames: int) -> None:
        if got < frames * self.size:
            code = self.group.wait(self.child)  # raises FFmpegTimeout past the deadline
            done = self.plan.out_frames - self.left + got // self.size
            reason = ("cannot be decoded" if code != 0 else
                      f"decoded to {done} of {self.plan.out_frames} frames")
            self._fail(failure(self.child, code), reason)
        self.left -= frames

    def _fail(self, err: FFmpegError, reason: str) -> None:
        raise InvalidSegmentError(self.index, self.plan.path,
                                  f"{reason}: {err.stderr_tail[-400:]}") from err


def feed_frames(plan: ConcatPlan, sink: int, group: ProcessGroup) -> None:
    """Write every frame of ``plan``, in order and crossfaded where planned, to ``sink``.

    The next segment's decoder starts while this one is read, so the encoder never waits for
    a decoder to start; it stops after its first frame or two, blocked on its pipe, so no more
    than two decoders hold memory.

    Args:
        plan: the join (its segments, output size and rate).
        sink: a pipe's write end (the encoder's stdin).
        group: the process group the decoders run in (its deadline applies).

    Raises:
        InvalidSegmentError: a segment failed to decode or gave too few frames.
        FFmpegTimeout: the group's deadline passed.
        BrokenPipeError: the reader of ``sink`` has gone.
        ValueError: a crossfade the plan cannot hold (see
            :func:`ugen.media.concat.check_blends`).
    """
    segments = list(plan.segments)
    check_blends(segments)
    geometry = {"width": plan.width, "height": plan.height, "fps": plan.fps}
    pending: list[bytes] = []  # the last frames so far, held for the next crossfade
    following = _Decoder(group, 0, segments[0], **geometry)
    for i, seg in enumerate(segments):
        decoder = following
        if i + 1 < len(segments):  # started now, so it is ready when this one ends
            following = _Decoder(group, i + 1, segments[i + 1], **geometry)
        keep = segments[i + 1].blend_frames // 2 if i + 1 < len(segments) else 0
        fresh = seg.out_frames
        if seg.blend_frames:
            pending = crossfade(pending, decoder.read(seg.blend_frames // 2))
            fresh -= seg.blend_frames // 2
        held = max(0, keep - fresh)  # frames of ``pending`` still needed (a very short segment)
        for frame in pending[:len(pending) - held]:
            write_all(sink, frame)
        pending = pending[len(pending) - held:]
        decoder.copy_to(sink, fresh - (keep - held))
        pending += decoder.read(keep - held)
        decoder.close()
    for frame in pending:
        write_all(sink, frame)


def encode_fed(encoder_argv: list[str], plan: ConcatPlan, *, timeout: float) -> None:
    """Run ``encoder_argv`` (an ffmpeg reading raw frames on stdin) fed with ``plan``'s frames.

    Raises:
        InvalidSegmentError: a segment failed to decode (index and path).
        FFmpegError: the encoder failed (argv and stderr tail).
        FFmpegTimeout: the whole render ran past ``timeout`` seconds; every process is ended.
    """
    with ProcessGroup(timeout) as group:
        encoder = group.start(encoder_argv, stdin=True)
        stopped = False
        try:
            feed_frames(plan, encoder.stdin_fd(), group)
        except BrokenPipeError:
            stopped = True  # the encoder stopped reading: its exit status and log say why
        encoder.close_stdin()
        code = group.wait(encoder)
        if code != 0 or stopped:
            raise failure(encoder, code)
        group.release(encoder)
