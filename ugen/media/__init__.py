"""FFmpeg post-production, one job per module; argv is built by pure functions and run by
:mod:`ugen.media.runner` (never a shell).

    concat    plan the join of generated segments (boundary de-duplication, crossfades where the
              motion jumps); the joined audio
    audio     speech timeline, music ducking and mixing, loudness normalisation
    render    the single lossy encode (straight from the segments by the concat plan) with
              burnt-in captions; the poster frame
    verify    delivery checks of the rendered MP4 (codec, size, duration, colour, faststart)

Support: boundary (frame similarity), loudness (R128 / volume measurements), encode (shared
encoder arguments), filters (filtergraph escaping, shared chains), files (atomic outputs),
probe, runner, errors.
"""
