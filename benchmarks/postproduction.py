"""Benchmark: post-production (`concat` + `audio` + `captions` + render) against MoviePy and
the floor.

The same inputs (N segments of equal length, 1080x1920, 30 fps, H.264 with AAC audio; a voice
track spoken by the offline voice with known word timings, one line per segment; a music bed
from the offline music provider) go through:

    ends     what `generation` does for `concat` as each segment arrives: read its first and
             last frames (read_segment_ends; the last ones decode most of the segment) and
             keep them beside it. Not post-production: in the pipeline it runs while later
             segments are still being made;
    ours     the ``ugen.media`` functions the `concat`, `audio`, `captions` and `complete`
             stages call: plan_concat (on the kept ends) and join_audio,
             mix_voice_and_music, write_ass, render_plan (the pictures decoded from the
             segments and encoded once);
    moviepy  a MoviePy 2 pipeline written the way MoviePy-based tools write it: every clip
             written to its own file, the files concatenated, one TextClip per caption word
             composited over the video, CompositeAudioClip for voice and music;
    floor    ffmpeg making the same deliverable with nothing else: the segments decoded,
             their pictures brought to BT.709 by the render's own normalising filters (a
             BT.601 source converted, a BT.709 one not), encoded once, and an AAC
             soundtrack of the same length (the voice track) encoded with the render's AAC
             settings. Until 2026-12 the floor encoded the pictures alone (``-an``, no
             colour conversion), so ``cpu_ratio_to_floor`` counted those two features as
             overhead; now it measures what ours spends beyond the same output (planning,
             the audio stage, captions).

All three use the x264 preset and CRF of ``Settings``. Each variant runs in its own child
process; the parent reports its wall time, CPU time (user + system of the whole process tree)
and the peak RSS of the tree (the sum over the child and all its descendants, sampled every
20 ms). With ``--repeat N`` the variants run in N rounds, one of each per round, so a change
in the machine's load hits them alike; the lowest wall and CPU time and the highest peak are
kept.

    .venv/bin/python benchmarks/postproduction.py                          # 4 x 7.5 s
    .venv/bin/python benchmarks/postproduction.py --seconds 60 --segments 10
    .venv/bin/python benchmarks/postproduction.py --sizes both             # both, one JSON

MoviePy and psutil come from the ``bench`` extra (``pip install -e '.[bench]'``). The last line
printed is one JSON object with the figures: ``ratio_to_floor`` is `ours` against the floor,
``ratio_to_floor_cold`` is `ends` and `ours` together against it (post-production with the
segment ends read in it, as when every segment arrives at once).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WIDTH, HEIGHT, FPS = 1080, 1920, 30
VARIANTS = ("ends", "ours", "moviepy", "floor")
"""In the order they run: `ours` uses the segment ends `ends` kept."""
SAMPLE_S = 0.02
LINES = (
    "Meet the serum that wakes up tired skin before your first coffee is even ready.",
    "I used to hide dull patches under layers of makeup every single morning.",
    "Two drops of vitamin C spread in seconds and sink in without any sticky feel.",
    "After two weeks my skin looks brighter and smoother. Tap the link and try it today.",
    "The glass bottle keeps the formula fresh and the dropper gives just enough every time.",
)


@dataclass(frozen=True)
class Inputs:
    segments: list[Path]
    voice: Path
    music: Path
    words: Path
    duration_s: float

    def ends_file(self, index: int) -> Path:
        """Where the `ends` variant keeps segment ``index``'s first and last frames."""
        return self.segments[index].parent.parent / "ends" / f"seg_{index:02d}.ends.npz"


@dataclass(frozen=True)
class Figures:
    wall_s: float
    cpu_s: float
    peak_rss_mb: float


# --- inputs ---------------------------------------------------------------------------------


def _make_segment(out: Path, index: int, frames: int) -> None:
    """Frames ``index*frames`` .. of one continuous testsrc2 (segments join without a jump)."""
    from ugen.media.runner import run_ffmpeg

    first = index * frames
    src = (f"testsrc2=size={WIDTH}x{HEIGHT}:rate={FPS},"
           f"trim=start_frame={first}:end_frame={first + frames},setpts=PTS-STARTPTS")
    seconds = frames / FPS
    tone = f"sine=frequency={220 + 55 * index}:sample_rate=48000:duration={seconds}"
    run_ffmpeg(["-f", "lavfi", "-i", src, "-f", "lavfi", "-i", tone,
                "-c:v", "libx264", "-preset", "veryfast", "-crf", "18", "-pix_fmt", "yuv420p",
                "-c:a", "aac", "-b:a", "192k", "-ac", "2", "-shortest", str(out)])


def make_inputs(work: Path, *, seconds: float, segments: int) -> Inputs:
    """Generate (or reuse) the inputs of one benchmark size under ``work``."""
    from ugen.catalog import voices
    from ugen.media.audio import place_on_timeline
    from ugen.providers.local.music import LocalMusicProvider
    from ugen.providers.local.voice import LocalVoiceProvider

    work.mkdir(parents=True, exist_ok=True)
    frames = round(seconds / segments * FPS)
    duration = frames * segments / FPS
    paths = [work / f"segment_{i:02d}.mp4" for i in range(segments)]
    for i, path in enumerate(paths):
        if not path.exists():
            _make_segment(path, i, frames)
    voice, music, words = work / "voice.wav", work / "music.wav", work / "words.json"
    if not (voice.exists() and words.exists()):
        provider, persona_voice = LocalVoiceProvider(), voices()["aria"]
        clips, timed = [], []
        for i in range(segments):
            offset = i * frames / FPS
            speech = provider.synthesize(LINES[i % len(LINES)], language="en",
                                         voice=persona_voice, out_path=work / f"line_{i:02d}.wav")
            clips.append((speech.path, offset))
            timed += [{"text": w.text, "start": round(w.start + offset, 4),
                       "end": round(w.end + offset, 4)} for w in speech.words]
        place_on_timeline(clips, duration_s=duration, out=voice)
        words.write_text(json.dumps({"language": "en", "words": timed}), encoding="utf-8")
    if not music.exists():
        LocalMusicProvider().generate(mood="upbeat", duration_s=duration, out_path=music)
    return Inputs(paths, voice, music, words, duration)


def _load_words(inputs: Inputs) -> list[Any]:
    from ugen.providers.base import WordTiming

    data = json.loads(inputs.words.read_text(encoding="utf-8"))
    return [WordTiming(w["text"], w["start"], w["end"]) for w in data["words"]]


# --- the three variants (each run in a child process) ---------------------------------------


def _timed(steps: dict[str, dict[str, float]], name: str, fn: Any) -> Any:
    """Call ``fn()``, adding its wall time and its children's CPU time to ``steps[name]``."""
    before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
    value = fn()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    steps[name] = {"wall_s": round(time.perf_counter() - start, 2), "cpu_s": round(cpu, 2)}
    return value


def run_ends(inputs: Inputs, out_dir: Path) -> Path:
    """Read each segment's first and last frames, as `generation` does when it arrives."""
    from ugen.media.concat import read_segment_ends

    for i, seg in enumerate(inputs.segments):
        read_segment_ends(i, seg, width=WIDTH, height=HEIGHT).save(inputs.ends_file(i),
                                                                     source=seg)
    return out_dir


def run_ours(inputs: Inputs, out_dir: Path) -> Path:
    """The stages' own media calls, in stage order (`concat`, `audio`, `captions`, `complete`).

    Each call's wall and child CPU time go to ``steps.json`` beside the output."""
    from ugen.captions import write_ass
    from ugen.media.audio import mix_voice_and_music
    from ugen.media.boundary import SegmentEnds, analysis_size
    from ugen.media.concat import join_audio, plan_concat
    from ugen.media.render import render_plan

    steps: dict[str, dict[str, float]] = {}
    size = analysis_size(WIDTH, HEIGHT)

    def concat_plan() -> Any:  # as the `concat` stage: kept ends loaded, checked, used
        ends = [SegmentEnds.load(inputs.ends_file(i), source=seg, size=size)
                for i, seg in enumerate(inputs.segments)]
        return plan_concat(inputs.segments, width=WIDTH, height=HEIGHT, fps=FPS, ends=ends)

    plan = _timed(steps, "plan_concat", concat_plan)
    _timed(steps, "join_audio", lambda: join_audio(plan, out_dir / "native.wav"))
    mix = _timed(steps, "mix", lambda: mix_voice_and_music(
        inputs.voice, inputs.music, duration_s=plan.duration_s, out=out_dir / "mix.wav",
        music_volume=0.15).path)
    ass = _timed(steps, "write_ass", lambda: write_ass(
        _load_words(inputs), language="en", width=WIDTH, height=HEIGHT,
        out=out_dir / "captions.ass"))
    out: Path = _timed(steps, "render_plan", lambda: render_plan(
        plan, mix, out_dir / "final.mp4", subtitles=ass))
    (out_dir / "steps.json").write_text(json.dumps(steps), encoding="utf-8")
    return out


def _font() -> str:
    found = subprocess.run(["fc-match", "-f", "%{file}", "Noto Sans:bold"], check=True,
                           capture_output=True, text=True).stdout.strip()
    return found


def run_moviepy(inputs: Inputs, out_dir: Path) -> Path:
    """How MoviePy-based tools do it: write each clip, concatenate, composite, write."""
    from moviepy import (
        AudioFileClip,
        CompositeAudioClip,
        CompositeVideoClip,
        TextClip,
        VideoFileClip,
        concatenate_videoclips,
    )
    from moviepy.audio.fx import MultiplyVolume

    from ugen.core.config import get_settings

    settings = get_settings()
    encode = {"codec": "libx264", "preset": settings.x264_preset, "audio_codec": "aac",
              "ffmpeg_params": ["-crf", str(settings.x264_crf), "-pix_fmt", "yuv420p"],
              "logger": None}
    parts = []
    for i, seg in enumerate(inputs.segments):
        clip = VideoFileClip(str(seg)).resized((WIDTH, HEIGHT))
        part = out_dir / f"clip_{i:02d}.mp4"
        clip.write_videofile(str(part), fps=FPS, **encode)
        clip.close()
        parts.append(VideoFileClip(str(part)))
    video = concatenate_videoclips(parts)
    font = _font()
    texts = [
        TextClip(font=font, text=w.text, font_size=96, color="white", stroke_color="black",
                 stroke_width=6).with_start(w.start).with_duration(max(0.05, w.end - w.start))
        .with_position(("center", 0.72), relative=True)
        for w in _load_words(inputs)
    ]
    voice = AudioFileClip(str(inputs.voice))
    music = AudioFileClip(str(inputs.music)).subclipped(0, video.duration)
    music = music.with_effects([MultiplyVolume(0.15)])
    final = CompositeVideoClip([video, *texts]).with_audio(CompositeAudioClip([voice, music]))
    out = out_dir / "final.mp4"
    final.write_videofile(str(out), fps=FPS, audio_fps=48000, **encode)
    for clip in (final, video, voice, music, *parts):
        clip.close()
    return out


def run_floor(inputs: Inputs, out_dir: Path) -> Path:
    """The least any tool must do for the same deliverable: decode the segments, bring their
    pictures to BT.709 as the render does (the same normalising filters, so a BT.601 source
    is converted and a BT.709 one is not), encode them once with the same x264 settings, and
    encode an AAC soundtrack of the same length (the voice track, with the same AAC
    settings). No captions, no mixing, no joins planned."""
    from ugen.core.config import get_settings
    from ugen.media.encode import aac_args, x264_args
    from ugen.media.filters import chain, normalise_yuv420p
    from ugen.media.probe import probe
    from ugen.media.runner import run_ffmpeg

    settings = get_settings()
    args: list[str] = []
    for seg in inputs.segments:
        args += ["-i", str(seg)]
    n = len(inputs.segments)
    video = probe(inputs.segments[0]).video
    assert video is not None
    normalise = normalise_yuv420p(WIDTH, HEIGHT, pix_fmt=video.pix_fmt,
                                  color_space=video.color_space)
    graph = ("".join(f"[{i}:v:0]" for i in range(n)) + f"concat=n={n}:v=1:a=0,"
             + chain(normalise) + "[v]")
    out = out_dir / "final.mp4"
    run_ffmpeg([*args, "-i", str(inputs.voice), "-filter_complex", graph, "-map", "[v]",
                "-map", f"{n}:a:0",
                *x264_args(preset=settings.x264_preset, crf=settings.x264_crf, fps=FPS,
                           threads=settings.ffmpeg_threads), *aac_args(),
                "-f", "mp4", str(out)])
    return out


RUNNERS = {"ends": run_ends, "ours": run_ours, "moviepy": run_moviepy, "floor": run_floor}


# --- measuring -------------------------------------------------------------------------------


def _tree_rss(root: Any) -> int:
    import psutil

    total = 0
    try:
        procs = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except psutil.Error:
            continue
    return total


def measure(variant: str, inputs_json: Path, out_dir: Path) -> Figures:
    """Run one variant in a child process; wall, tree CPU and sampled tree peak RSS."""
    import psutil

    out_dir.mkdir(parents=True, exist_ok=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    # The child works inside its output folder: MoviePy writes temporary files to the
    # current directory.
    child = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "--child",
                              variant, "--inputs", str(inputs_json.resolve()), "--out",
                              str(out_dir.resolve())], cwd=out_dir)
    root, peak, done = psutil.Process(child.pid), 0, threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(root))
            time.sleep(SAMPLE_S)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        code = child.wait()
    finally:
        done.set()
        sampler.join()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if code != 0:
        raise SystemExit(f"{variant} failed with exit code {code}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Figures(round(wall, 2), round(cpu, 2), round(peak / 2**20, 1))


def _check_output(path: Path, duration_s: float) -> None:
    from ugen.media.probe import probe

    info = probe(path)
    if abs(info.duration - duration_s) > 0.1:
        raise SystemExit(f"{path} lasts {info.duration:.3f} s, expected {duration_s:.3f} s")


def bench_size(work: Path, *, seconds: float, segments: int, repeat: int,
               variants: list[str]) -> dict[str, Any]:
    size_dir = work / f"{segments}x{seconds:g}s"
    inputs = make_inputs(size_dir / "inputs", seconds=seconds, segments=segments)
    inputs_json = size_dir / "inputs.json"
    _save_inputs(inputs, inputs_json)
    best: dict[str, Figures] = {}
    for variant in VARIANTS:  # figures of an earlier run, if any
        saved = size_dir / f"{variant}.json"
        if variant not in variants and saved.exists():
            best[variant] = Figures(**json.loads(saved.read_text(encoding="utf-8")))
    runs: dict[str, list[Figures]] = {variant: [] for variant in variants}
    for _ in range(repeat):  # rounds of every variant, so a change of load hits them alike
        for variant in (v for v in VARIANTS if v in variants):
            out_dir = size_dir / variant
            shutil.rmtree(out_dir, ignore_errors=True)
            if variant == "ends":
                shutil.rmtree(inputs.ends_file(0).parent, ignore_errors=True)
                inputs.ends_file(0).parent.mkdir(parents=True)
            runs[variant].append(measure(variant, inputs_json, out_dir))
            if variant != "ends":
                _check_output(out_dir / "final.mp4", inputs.duration_s)
    for variant, measured in runs.items():
        best[variant] = _best(measured)
        (size_dir / f"{variant}.json").write_text(json.dumps(asdict(best[variant])),
                                                  encoding="utf-8")
    best = {name: best[name] for name in VARIANTS if name in best}
    print(f"\n{segments} segments, {inputs.duration_s:g} s, {WIDTH}x{HEIGHT} @ {FPS} fps")
    print(f"{'variant':<10}{'wall s':>10}{'cpu s':>10}{'peak RSS MB':>14}")
    for name, fig in best.items():
        print(f"{name:<10}{fig.wall_s:>10.2f}{fig.cpu_s:>10.2f}{fig.peak_rss_mb:>14.1f}")
    steps_json = size_dir / "ours" / "steps.json"  # the last run's split of `ours`
    if "ours" in variants and steps_json.exists():
        for step, split in json.loads(steps_json.read_text(encoding="utf-8")).items():
            print(f"  ours {step:<12}{split['wall_s']:>8.2f}{split['cpu_s']:>10.2f}")
    figures: dict[str, Any] = {
        "seconds": inputs.duration_s, "segments": segments,
        **{f"{name}_{key}": value for name, fig in best.items()
           for key, value in asdict(fig).items()},
    }
    ends, ours, mp, floor = (best.get(name) for name in VARIANTS)
    if ours and mp:
        figures["speedup_vs_moviepy"] = round(mp.wall_s / ours.wall_s, 3)
        figures["rss_ratio_vs_moviepy"] = round(ours.peak_rss_mb / mp.peak_rss_mb, 3)
    if ours and floor:
        figures["ratio_to_floor"] = round(ours.wall_s / floor.wall_s, 3)
        figures["cpu_ratio_to_floor"] = round(ours.cpu_s / floor.cpu_s, 3)
    if ends and ours and floor:
        figures["ratio_to_floor_cold"] = round((ends.wall_s + ours.wall_s) / floor.wall_s, 3)
    if ends and ours and mp:
        figures["speedup_vs_moviepy_cold"] = round(mp.wall_s / (ends.wall_s + ours.wall_s), 3)
    return figures


def _best(runs: list[Figures]) -> Figures:
    """The lowest wall and CPU time of ``runs`` (other work on the machine only ever adds to
    them: waits, shared caches and cores) and the highest peak (sampling only ever misses
    it)."""
    return Figures(min(r.wall_s for r in runs), min(r.cpu_s for r in runs),
                   max(r.peak_rss_mb for r in runs))


def bench_memory(work: Path) -> dict[str, Any]:
    """Peak tree RSS of `ours` for a 15 s ad (2 segments) and a 60 s ad (10 segments)."""
    peaks: dict[str, Any] = {}
    for seconds, segments in ((15.0, 2), (60.0, 10)):
        size_dir = work / f"{segments}x{seconds:g}s"
        inputs = make_inputs(size_dir / "inputs", seconds=seconds, segments=segments)
        inputs_json = size_dir / "inputs.json"
        _save_inputs(inputs, inputs_json)
        saved = size_dir / "ours.json"  # the same measurement, taken by a full run of this size
        if saved.exists():
            fig = Figures(**json.loads(saved.read_text(encoding="utf-8")))
        else:
            if not inputs.ends_file(len(inputs.segments) - 1).exists():
                inputs.ends_file(0).parent.mkdir(parents=True, exist_ok=True)
                measure("ends", inputs_json, size_dir / "ends")
            fig = measure("ours", inputs_json, size_dir / "memory")
            saved.write_text(json.dumps(asdict(fig)), encoding="utf-8")
        peaks[f"ours_peak_rss_mb_{int(seconds)}s"] = fig.peak_rss_mb
        print(f"ours, {segments} segments, {seconds:g} s: peak tree RSS {fig.peak_rss_mb:.1f} MB,"
              f" wall {fig.wall_s:.2f} s, cpu {fig.cpu_s:.2f} s")
    peaks["rss_growth_60s_vs_15s"] = round(peaks["ours_peak_rss_mb_60s"]
                                           / peaks["ours_peak_rss_mb_15s"], 3)
    return peaks


def _save_inputs(inputs: Inputs, path: Path) -> None:
    path.write_text(json.dumps({k: [str(p) for p in v] if isinstance(v, list) else str(v)
                                for k, v in asdict(inputs).items()}), encoding="utf-8")


def _child(variant: str, inputs_json: Path, out_dir: Path) -> None:
    raw = json.loads(inputs_json.read_text(encoding="utf-8"))
    inputs = Inputs(segments=[Path(p) for p in raw["segments"]], voice=Path(raw["voice"]),
                    music=Path(raw["music"]), words=Path(raw["words"]),
                    duration_s=float(raw["duration_s"]))
    RUNNERS[variant](inputs, out_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--segments", type=int, default=4)
    parser.add_argument("--sizes", choices=["one", "both"], default="one",
                        help="both: 4 x 7.5 s and 10 x 6 s, reported together")
    parser.add_argument("--repeat", type=int, default=1,
                        help="rounds of the variants; each figure's best is kept")
    parser.add_argument("--memory", action="store_true",
                        help="also measure `ours` alone on a 15 s and a 60 s ad (peak RSS)")
    parser.add_argument("--variants", default=",".join(VARIANTS),
                        help="comma-separated variants to run; the others reuse the figures "
                             "saved by an earlier run in --work")
    parser.add_argument("--work", type=Path,
                        default=Path(tempfile.gettempdir()) / "ugen-bench-postproduction")
    parser.add_argument("--child", choices=VARIANTS, help=argparse.SUPPRESS)
    parser.add_argument("--inputs", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child, args.inputs, args.out)
        return
    os.environ.setdefault("PYTHONWARNINGS", "ignore")
    sizes = [(30.0, 4), (60.0, 10)] if args.sizes == "both" else [(args.seconds, args.segments)]
    variants = [v for v in args.variants.split(",") if v in VARIANTS]
    results = [bench_size(args.work, seconds=s, segments=n, repeat=args.repeat,
                          variants=variants) for s, n in sizes]
    summary: dict[str, Any] = dict(results[0])
    if len(results) > 1:
        summary["sizes"] = results
        long = results[-1]
        summary.update({f"{key}_{int(long['seconds'])}s": long[key] for key in
                        ("speedup_vs_moviepy", "ratio_to_floor", "ratio_to_floor_cold",
                         "rss_ratio_vs_moviepy", "ours_peak_rss_mb") if key in long})
    if args.memory:
        summary.update(bench_memory(args.work))
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
