"""Offline video provider: animates one segment from keyframe A to keyframe B.

``submit`` only records the request (``<tasks_dir>/<task id>.json``; the id is a hash of the
request, so submitting the same request again returns the same task and renders nothing new)
with copies of its two keyframes in ``<tasks_dir>/<task id>/``, as a vendor keeps what was
uploaded: any worker polls the task, whichever machine submitted it and whatever became of
that machine's disk. The first ``poll`` renders, into that folder: frames are drawn with
numpy/Pillow (see :mod:`ugen.providers.local._motion`) and piped into ffmpeg (libx264,
yuv420p, BT.709) with an AAC 48 kHz track: the spoken line from the injected voice provider
(in the persona's :func:`on_camera_voice`), starting :data:`LEAD_IN_S` in and cut or padded to
the segment, or silence.
The MP4 is written to a temporary name and renamed onto its place, so a crash never leaves
half a file there.

The first frame is keyframe A and the last frame keyframe B; there are exactly
``round(duration_s * fps)`` frames.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import threading
import wave
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from ugen.catalog import Voice
from ugen.core.config import get_settings
from ugen.media.errors import MediaError
from ugen.media.runner import FrameWriter
from ugen.providers.base import ProviderError, SegmentRequest, VideoPoll, VoiceProvider
from ugen.providers.local._motion import Motion, Shot, load_rgb, rebuild_layers
from ugen.providers.local._palette import sidecar_path

PROVIDER = "local-video"
AUDIO_RATE = 48000
MOUTH_HOLD_FRAMES = 2
LEAD_IN_S = 0.15
"""The persona starts speaking this long into the segment: the first frames may repeat the
previous segment's last ones and be dropped at the join, and the sound goes with them."""


def task_id_for(request: SegmentRequest) -> str:
    """A stable id for ``request`` (same request, same id, in any process)."""
    blob = json.dumps(_request_json(request), sort_keys=True, separators=(",", ":"))
    return "lv-" + hashlib.sha256(blob.encode("utf-8")).hexdigest()[:24]


def _request_json(request: SegmentRequest) -> dict[str, Any]:
    return {
        "index": request.index,
        "first_frame": str(request.first_frame),
        "last_frame": str(request.last_frame),
        "prompt": request.prompt,
        "spoken_line": request.spoken_line,
        "language": request.language,
        "voice": request.voice.model_dump(),
        "duration_s": request.duration_s,
        "width": request.width,
        "height": request.height,
        "fps": request.fps,
        "model_id": request.model_id,
        "sound": request.sound,
        "seed": request.seed,
        "out_path": str(request.out_path),
        "submission": request.submission,
    }


def _request_from_json(data: dict[str, Any]) -> SegmentRequest:
    return SegmentRequest(
        index=int(data["index"]),
        first_frame=Path(data["first_frame"]),
        last_frame=Path(data["last_frame"]),
        prompt=str(data["prompt"]),
        spoken_line=str(data["spoken_line"]),
        language=str(data["language"]),
        voice=Voice(**data["voice"]),
        duration_s=float(data["duration_s"]),
        width=int(data["width"]),
        height=int(data["height"]),
        fps=int(data["fps"]),
        model_id=str(data["model_id"]),
        sound=bool(data["sound"]),
        seed=int(data["seed"]),
        out_path=Path(data["out_path"]),
        submission=int(data.get("submission", 0)),
    )


class LocalVideoProvider:
    """Renders segments on this machine; ``voice`` speaks the line when sound is on."""

    def __init__(self, voice: VoiceProvider, tasks_dir: Path) -> None:
        self.voice = voice
        self.tasks_dir = Path(tasks_dir)
        self._lock = threading.Lock()

    def _task_path(self, task_id: str) -> Path:
        return self.tasks_dir / f"{task_id}.json"

    def submit(self, request: SegmentRequest) -> str:
        task_id = task_id_for(request)
        path = self._task_path(task_id)
        with self._lock:
            existing = _read_json(path)
            if existing is not None and existing.get("state") in ("pending", "succeeded"):
                return task_id
            self.tasks_dir.mkdir(parents=True, exist_ok=True)
            held = self._hold(task_id, request)
            _write_json(path, {"task_id": task_id, "state": "pending",
                               "request": _request_json(held)})
        return task_id

    def _hold(self, task_id: str, request: SegmentRequest) -> SegmentRequest:
        """The request as this provider keeps it: its own copies of the keyframes (with their
        layout sidecars) and its own output path, in the task's folder."""
        folder = self.tasks_dir / task_id
        folder.mkdir(exist_ok=True)
        frames = [_copy_frame(src, folder / f"{name}{src.suffix}")
                  for name, src in (("first", request.first_frame),
                                    ("last", request.last_frame))]
        return replace(request, first_frame=frames[0], last_frame=frames[1],
                       out_path=folder / "segment.mp4")

    def poll(self, task_id: str) -> VideoPoll:
        path = self._task_path(task_id) if _valid_id(task_id) else None
        task = _read_json(path) if path is not None else None
        if path is None or task is None:
            return VideoPoll("failed", error=f"unknown task id {task_id!r}")
        try:
            request = _request_from_json(task["request"])
        except (KeyError, TypeError, ValueError) as err:
            return VideoPoll("failed", error=f"task {task_id} is unreadable: {err}")
        state = task.get("state")
        if state == "failed":
            return VideoPoll("failed", error=str(task.get("error") or "render failed"))
        if state == "succeeded" and request.out_path.exists():
            return VideoPoll("succeeded", output=request.out_path)
        try:
            render_segment(request, self.voice)
        except (ProviderError, MediaError, OSError, ValueError,
                Image.DecompressionBombError) as err:
            task.update(state="failed", error=f"{type(err).__name__}: {err}")
            _write_json(path, task)
            return VideoPoll("failed", error=task["error"])
        task.update(state="succeeded", output=str(request.out_path))
        _write_json(path, task)
        return VideoPoll("succeeded", output=request.out_path)


def _copy_frame(src: Path, dst: Path) -> Path:
    """Copy a keyframe and its sidecar; a missing keyframe keeps its path (the render then
    fails with the reason)."""
    if not src.is_file():
        return src
    shutil.copyfile(src, dst)
    if sidecar_path(src).is_file():
        shutil.copyfile(sidecar_path(src), sidecar_path(dst))
    return dst


def _valid_id(task_id: str) -> bool:
    return task_id.startswith("lv-") and task_id[3:].isalnum() and len(task_id) < 64


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.write_text(json.dumps(data, indent=1))
    os.replace(tmp, path)


# --- rendering ------------------------------------------------------------------------------


def frame_count(request: SegmentRequest) -> int:
    return max(1, round(request.duration_s * request.fps))


def on_camera_voice(voice: Voice) -> Voice:
    """The voice the persona speaks with in a segment: ``voice``'s speaker and pace without
    its pitch and formant profile. Like a video model's native speech, it is converted to the
    selected voice in the ``audio`` stage (speech-to-speech keeps its timing, so the mouth
    drawn from it stays in sync)."""
    return voice.model_copy(update={"pitch_semitones": 0.0, "formant_shift": 1.0})


def render_segment(request: SegmentRequest, voice: VoiceProvider) -> Path:
    """Render ``request`` to ``request.out_path`` (atomically) and return the path."""
    settings = get_settings()
    width, height, fps = request.width, request.height, request.fps
    if width % 2 or height % 2:
        raise ValueError(f"segment size must be even for yuv420p, got {width}x{height}")
    frames = frame_count(request)
    out = request.out_path
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.stem}.{os.getpid()}.{threading.get_ident()}.part.mp4")
    wav = tmp.with_suffix(".voice.wav")
    try:
        speech: Path | None = None
        if request.sound and request.spoken_line.strip():
            result = voice.synthesize(request.spoken_line, language=request.language,
                                      voice=on_camera_voice(request.voice), out_path=wav,
                                      seed=request.seed)
            speech = _with_lead_in(result.path, LEAD_IN_S)
        levels = mouth_levels(speech, frames, fps) if speech is not None else None
        motion = build_motion(request, frames, levels)
        args = _ffmpeg_args(width, height, fps, frames, speech, settings.x264_preset,
                            settings.x264_crf, settings.ffmpeg_threads, tmp)
        with FrameWriter(args) as writer:
            for frame in _frames(motion, frames):
                writer.write(frame)
        os.replace(tmp, out)
    finally:
        for leftover in (tmp, wav):
            if leftover.exists():
                leftover.unlink()
    return out


def build_motion(request: SegmentRequest, frames: int, levels: list[int] | None) -> Motion:
    width, height = request.width, request.height
    a_pic = load_rgb(request.first_frame, width, height)
    b_pic = load_rgb(request.last_frame, width, height)
    with ThreadPoolExecutor(max_workers=2) as pool:
        fa = pool.submit(rebuild_layers, request.first_frame, a_pic)
        fb = pool.submit(rebuild_layers, request.last_frame, b_pic)
        a_layers, b_layers = fa.result(), fb.result()
    return Motion(Shot(a_pic, a_layers), Shot(b_pic, b_layers), width, height, frames,
                  request.seed, levels)


def _frames(motion: Motion, count: int) -> Iterator[bytes]:
    """Frames as raw RGB bytes; the next frame renders on a worker while one is written."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        ahead = 3
        queue: list[Future[bytes]] = []
        nxt = 0
        while nxt < count and len(queue) < ahead:
            queue.append(pool.submit(_frame_bytes, motion, nxt))
            nxt += 1
        while queue:
            data = queue.pop(0).result()
            if nxt < count:
                queue.append(pool.submit(_frame_bytes, motion, nxt))
                nxt += 1
            yield data


def _frame_bytes(motion: Motion, index: int) -> bytes:
    return motion.frame(index).tobytes()


def _ffmpeg_args(width: int, height: int, fps: int, frames: int, speech: Path | None,
                 preset: str, crf: int, threads: int, out: Path) -> list[str]:
    duration = frames / fps
    args = ["-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", str(fps),
            "-i", "pipe:0"]
    if speech is not None:
        args += ["-i", str(speech)]
    else:
        args += ["-f", "lavfi", "-i", f"anullsrc=r={AUDIO_RATE}:cl=stereo"]
    graph = (
        "[0:v]scale=out_color_matrix=bt709:out_range=tv,format=yuv420p[v];"
        f"[1:a]aresample={AUDIO_RATE},aformat=sample_fmts=fltp:channel_layouts=stereo,"
        f"apad,atrim=0:{duration:.6f},asetpts=N/SR/TB[a]"
    )
    args += [
        "-filter_complex", graph, "-map", "[v]", "-map", "[a]",
        "-c:v", "libx264", "-preset", preset, "-crf", str(crf), "-pix_fmt", "yuv420p",
        "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
        "-color_range", "tv", "-frames:v", str(frames), "-r", str(fps),
        "-c:a", "aac", "-b:a", "128k", "-ar", str(AUDIO_RATE),
        "-movflags", "+faststart",
    ]
    if threads:
        args += ["-threads", str(threads)]
    args += ["-f", "mp4", str(out)]
    return args


def _with_lead_in(path: Path, seconds: float) -> Path:
    """Rewrite the WAV at ``path`` with ``seconds`` of silence before the speech."""
    with wave.open(str(path), "rb") as src:
        params = src.getparams()
        pcm = src.readframes(params.nframes)
    silence = bytes(round(seconds * params.framerate) * params.sampwidth * params.nchannels)
    with wave.open(str(path), "wb") as out:
        out.setparams(params)
        out.writeframes(silence + pcm)
    return path


# --- lip-sync -------------------------------------------------------------------------------


def _read_wav(path: Path) -> tuple[np.ndarray, int] | None:
    try:
        with wave.open(str(path), "rb") as wf:
            rate, width, channels = wf.getframerate(), wf.getsampwidth(), wf.getnchannels()
            raw = wf.readframes(wf.getnframes())
    except (OSError, wave.Error, EOFError):
        return None
    if width == 2:
        data = np.frombuffer(raw, dtype="<i2").astype(np.float32) / 32768.0
    elif width == 4:
        data = np.frombuffer(raw, dtype="<i4").astype(np.float32) / 2147483648.0
    elif width == 1:
        data = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    else:
        return None
    if channels > 1:
        data = data[: len(data) // channels * channels].reshape(-1, channels).mean(axis=1)
    return data, rate


def mouth_levels(path: Path, frames: int, fps: int) -> list[int] | None:
    """Per video frame: 0 (rest), 1 (half open) or 2 (open) from the voice's loudness."""
    wav = _read_wav(path)
    if wav is None:
        return None
    samples, rate = wav
    if samples.size == 0:
        return [0] * frames
    per = rate / fps
    rms = np.zeros(frames, dtype=np.float32)
    for i in range(frames):
        chunk = samples[int(i * per): int((i + 1) * per)]
        if chunk.size:
            rms[i] = float(np.sqrt(np.mean(chunk * chunk)))
    loud = rms[rms > 1e-4]
    if loud.size == 0:
        return [0] * frames
    ref = float(np.percentile(loud, 90)) or 1.0
    norm = rms / ref
    levels = [2 if v > 0.6 else 1 if v > 0.22 else 0 for v in norm]
    # mouths change at most every MOUTH_HOLD_FRAMES frames
    out = []
    for i in range(frames):
        out.append(levels[i - i % MOUTH_HOLD_FRAMES])
    for i in range(min(frames, 1)):
        out[i] = 0
    for i in range(max(0, frames - 3), frames):
        out[i] = 0
    return out

