"""Commit -> playable and commit -> ready through the real clip pipeline, against a naive
single-command transcode of the same file in the same run.

Inputs (made once into var/bench/media/bench-sources/ and reused): a 10-minute 1280x720
30 fps H.264 High/AAC MP4 with closed 2 s GOPs at ~8 Mbit/s (what a phone or camera app
writes), and a 10-minute 1280x720 VP9/Opus WebM at ~3 Mbit/s (what a browser's
MediaRecorder writes). The picture is ``testsrc2`` with light temporal noise, so the
encoders get sensor-like detail instead of flat synthetic colours.

Per input: a clip is requested (``clip_request_upload``), the file is put at its original
key exactly as the local upload endpoints leave it (moved into storage, with a finished
upload session that carries its SHA-256), and ``clip_commit`` is called; the clip's
``MediaJob`` then runs in-process on a thread (``job_run``, as the Huey worker would) while
this thread polls the clip row every 50 ms for ``playable_at`` and ``ready``. The naive
baseline is one ffmpeg command that encodes the same input straight to a 3-rung
360p/540p/720p HLS ladder with default libx264 settings (no remux fast path); it becomes
playable only when it ends. Pipeline and baseline both run under ``nice -n 10``.

``python -m bench clips_pipeline`` (10-minute inputs; generation takes a few minutes the
first time, the run itself tens of minutes on 2 cores) or, for a quick run with 60-second
inputs, ``BENCH_SHORT=1 python -m bench clips_pipeline`` (or ``--short``).
"""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from bench.common import (
    BENCH_VAR,
    Row,
    bench_student_exercise,
    print_table,
    setup_django,
    summarize,
)

FULL_SECONDS = 600
SHORT_SECONDS = 60
SOURCES = BENCH_VAR / "media" / "bench-sources"
POLL_SECONDS = 0.05
#: Targets (ISSUE 4, "Benchmarks"): seconds from commit to playable, and ladder / duration.
PLAYABLE_TARGET_SECONDS = {"h264": 5.0, "vp9": 15.0}
LADDER_TARGET_RATIO = 0.35
_NOISE = "noise=alls=6:allf=t"


@dataclass(frozen=True)
class Source:
    key: str  # "h264" or "vp9"
    label: str
    path: Path
    content_type: str
    duration: float


@dataclass
class PipelineResult:
    playable_s: float
    ready_s: float
    status: str
    stages: dict[str, float]
    stage_cpu: dict[str, float]
    server_playable_s: float | None
    size_bytes: int
    rungs: str  # the master playlist's variants, e.g. "360p 540p source=1280x720"


def short_mode() -> bool:
    return os.environ.get("BENCH_SHORT", "") not in ("", "0") or "--short" in sys.argv


def children_cpu() -> float:
    """CPU seconds (user + sys) of this process's finished children: the ffmpeg runs."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _ffmpeg() -> str:
    from huey_tasks.media.ffmpeg import ffmpeg_binary

    return ffmpeg_binary()


def _nice() -> list[str]:
    nice = shutil.which("nice")
    return [nice, "-n", "10"] if nice else []


def _lavfi_inputs(seconds: int) -> list[str]:
    video = f"testsrc2=size=1280x720:rate=30:duration={seconds},{_NOISE}"
    audio = f"sine=frequency=440:sample_rate=48000:duration={seconds}"
    return ["-f", "lavfi", "-i", video, "-f", "lavfi", "-i", audio, "-map", "0:v", "-map", "1:a"]


_ENCODINGS: dict[str, tuple[str, str, list[str]]] = {
    # key: (file suffix, content type, encoder arguments)
    "h264": (
        ".mp4",
        "video/mp4",
        # Phone-like: High profile, ~8 Mbit/s, closed 2 s GOPs (60 frames), AAC 128k.
        [
            *("-c:v", "libx264", "-preset", "superfast", "-profile:v", "high"),
            *("-pix_fmt", "yuv420p", "-b:v", "8M", "-maxrate", "10M", "-bufsize", "16M"),
            *("-g", "60", "-keyint_min", "60", "-sc_threshold", "0"),
            *("-c:a", "aac", "-b:a", "128k", "-f", "mp4"),
        ],
    ),
    "vp9": (
        ".webm",
        "video/webm",
        # MediaRecorder-like VP9/Opus, with libvpx's fast realtime settings.
        [
            *("-c:v", "libvpx-vp9", "-deadline", "realtime", "-cpu-used", "8", "-row-mt", "1"),
            *("-pix_fmt", "yuv420p", "-b:v", "3M", "-c:a", "libopus", "-b:a", "128k"),
            *("-f", "webm"),
        ],
    ),
}


def ensure_source(key: str, seconds: int) -> Source:
    """The input file for ``key`` (generated on first use; written under a temp name)."""
    suffix, content_type, encoder = _ENCODINGS[key]
    path = SOURCES / f"{key}_1280x720p30_{seconds}s{suffix}"
    if not path.exists():
        SOURCES.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".partial-{path.name}")
        print(f"generating {path.relative_to(BENCH_VAR.parent.parent)} ...", flush=True)
        started = time.perf_counter()
        command = [_ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
        subprocess.run(
            [*command, *_lavfi_inputs(seconds), *encoder, str(partial)],
            check=True,
            timeout=3600,
        )
        partial.rename(path)
        print(f"  generated in {time.perf_counter() - started:.0f} s", flush=True)
    return Source(key, f"{key} 720p30 {seconds}s", path, content_type, float(seconds))


def _sha256(path: Path) -> str:
    """The file's SHA-256, cached beside it (the upload endpoints hash while receiving)."""
    cached = path.with_name(f".{path.name}.sha256")
    if cached.exists() and cached.stat().st_mtime >= path.stat().st_mtime:
        return cached.read_text().strip()
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    cached.write_text(digest.hexdigest())
    return digest.hexdigest()


def _uploaded_clip(source: Source) -> Any:
    """A clip in ``awaiting_upload`` whose original is in storage, as after a local upload."""
    from django.utils import timezone

    from plugins.clips import storage
    from plugins.clips.models import UploadSession
    from plugins.clips.services import clip_request_upload

    student, exercise = bench_student_exercise()
    target = clip_request_upload(
        actor=student,
        exercise_id=exercise.uuid,
        duration_sec=source.duration,
        filename=source.path.name,
        size_bytes=source.path.stat().st_size,
        content_type=source.content_type,
        absolute_url=lambda path: f"http://127.0.0.1{path}",
    )
    clip = target.clip
    # store_local_file moves its file into storage: give it a copy on the same disk.
    copy = storage.upload_temp_dir() / f"bench-{clip.pk}{source.path.suffix}"
    shutil.copyfile(source.path, copy)
    storage.store_local_file(copy, clip.original_key)
    UploadSession.objects.create(
        clip=clip,
        protocol=UploadSession.Protocol.SIGNED_PUT,
        length=source.path.stat().st_size,
        offset=source.path.stat().st_size,
        metadata={"sha256": _sha256(source.path)},
        expires_at=clip.upload_expires_at,
        completed_at=timezone.now(),
    )
    return clip


def run_pipeline(source: Source) -> PipelineResult:
    from django.db import close_old_connections

    from huey_tasks.jobs import job_run
    from huey_tasks.models import MediaJob
    from plugins.clips import storage
    from plugins.clips.models import PracticeClip
    from plugins.clips.services import PROCESS_JOB_KIND, clip_commit

    clip = _uploaded_clip(source)
    failures: list[BaseException] = []

    def work(job_id: UUID) -> None:
        try:
            job_run(job_id=job_id)
        except BaseException as exc:  # reported by the polling thread
            failures.append(exc)
        finally:
            close_old_connections()

    started = time.perf_counter()
    clip_commit(clip=clip, actor=clip.owner)
    job = MediaJob.objects.get(kind=PROCESS_JOB_KIND, target_id=clip.pk)
    worker = threading.Thread(target=work, args=(job.pk,), name="bench-clip-job", daemon=True)
    worker.start()
    playable_s: float | None = None
    # CPU of the ffmpeg children per job stage: a child's CPU is counted when it is reaped,
    # which happens inside its stage, so sampling at each stage change attributes it.
    stage_cpu: dict[str, float] = {}
    stage, cpu_mark = "", children_cpu()
    terminal = {PracticeClip.Status.READY, PracticeClip.Status.FAILED, PracticeClip.Status.REJECTED}
    while True:
        status, playable_at = (
            PracticeClip.objects.filter(pk=clip.pk).values_list("status", "playable_at").get()
        )
        now = time.perf_counter() - started
        current = MediaJob.objects.filter(pk=job.pk).values_list("stage", flat=True).get()
        if current != stage:
            cpu = children_cpu()
            stage_cpu[stage] = stage_cpu.get(stage, 0.0) + cpu - cpu_mark
            stage, cpu_mark = current, cpu
        if playable_at is not None and playable_s is None:
            playable_s = now
        if status in terminal:
            break
        if not worker.is_alive():
            status = PracticeClip.objects.get(pk=clip.pk).status
            if status not in terminal:
                raise RuntimeError(f"the job ended with the clip {status}") from (
                    failures[0] if failures else None
                )
            continue
        time.sleep(POLL_SECONDS)
    ready_s = now
    worker.join()
    stage_cpu[stage] = stage_cpu.get(stage, 0.0) + children_cpu() - cpu_mark
    clip.refresh_from_db()
    job.refresh_from_db()
    if clip.status != PracticeClip.Status.READY:
        print(f"  clip {clip.status}: {clip.error_code} {clip.error_message}")
        print(f"  job: {job.error_code} {job.error_message}\n{job.log_tail[-2000:]}")
    server_playable = (
        (clip.playable_at - clip.uploaded_at).total_seconds()
        if clip.playable_at and clip.uploaded_at
        else None
    )
    result = PipelineResult(
        playable_s=playable_s if playable_s is not None else float("nan"),
        ready_s=ready_s,
        status=str(clip.status),
        stages={k: float(v) for k, v in (job.timings or {}).items()},
        stage_cpu={k: round(v, 2) for k, v in stage_cpu.items() if k and v > 0.005},
        server_playable_s=server_playable,
        size_bytes=int(clip.size_bytes or 0),
        rungs=" ".join(
            f"{r['name']}={r['width']}x{r['height']}" if r["name"] == "source" else r["name"]
            for r in clip.renditions
        ),
    )
    storage.delete_prefix(clip.storage_prefix)  # GBs for a 10-minute take: do not keep them
    clip.delete()
    return result


def run_naive(source: Source, out: Path) -> tuple[float, float]:
    """One ffmpeg: the input straight to a 3-rung HLS ladder, default libx264 and HLS settings."""
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    graph = "[0:v]split=3[a][b][c];[a]scale=-2:360[v0];[b]scale=-2:540[v1];[c]scale=-2:720[v2]"
    command = [*_nice(), _ffmpeg(), "-hide_banner", "-nostdin", "-loglevel", "error", "-y"]
    command += ["-i", str(source.path), "-filter_complex", graph]
    for index in range(3):
        command += ["-map", f"[v{index}]", "-map", "0:a"]
    command += ["-c:v", "libx264", "-c:a", "aac", "-f", "hls", "-hls_playlist_type", "vod"]
    command += ["-master_pl_name", "master.m3u8", "-var_stream_map", "v:0,a:0 v:1,a:1 v:2,a:2"]
    command += ["-hls_segment_filename", f"{out}/%v/seg_%05d.ts", f"{out}/%v/index.m3u8"]
    started, cpu = time.perf_counter(), children_cpu()
    subprocess.run(command, check=True, timeout=4 * 3600)
    elapsed, cpu = time.perf_counter() - started, children_cpu() - cpu
    shutil.rmtree(out, ignore_errors=True)
    return elapsed, cpu


def _ms(seconds: float) -> list[float]:
    return [seconds * 1000]


def _rows(
    source: Source, result: PipelineResult, naive: float, naive_cpu: float, cores: int
) -> list[Row]:
    """Wall times with ratios; ``CPU/cores`` is ffmpeg's CPU time spread over every core,
    i.e. the wall-time ratio this machine would reach unloaded (it is noisy: compare both)."""
    target = PLAYABLE_TARGET_SECONDS[source.key]
    duration = source.duration
    ladder = result.stages.get("ladder", float("nan"))
    ladder_cpu = result.stage_cpu.get("ladder", 0.0) / cores / duration
    pipeline_cpu = sum(result.stage_cpu.values())
    met = "met" if result.playable_s < target else "MISSED"
    ladder_met = "met" if ladder / duration < LADDER_TARGET_RATIO else "MISSED"
    return [
        summarize(
            f"{source.key}: commit -> playable",
            _ms(result.playable_s),
            note=f"target < {target:g} s: {met}; {result.playable_s / naive:.4f}x naive "
            f"({naive / result.playable_s:.0f}x sooner); input {result.size_bytes / 1e6:.0f} MB",
        ),
        summarize(
            f"{source.key}: commit -> ready",
            _ms(result.ready_s),
            note=f"{result.status}; {result.ready_s / naive:.2f}x naive; "
            f"{result.ready_s / duration:.3f}x duration; ffmpeg CPU {pipeline_cpu:.0f} s",
        ),
        summarize(
            f"{source.key}: ladder stage ({result.rungs})",
            _ms(ladder),
            note=f"{ladder / duration:.3f}x duration (target < {LADDER_TARGET_RATIO}x: "
            f"{ladder_met}); CPU/cores {ladder_cpu:.3f}x duration; {ladder / naive:.2f}x naive",
        ),
        summarize(
            f"{source.key}: naive 1-command 3-rung HLS",
            _ms(naive),
            note=f"libx264 defaults; {naive / duration:.3f}x duration; CPU/cores "
            f"{naive_cpu / cores / duration:.3f}x duration; playable only when done",
        ),
    ]


def main() -> None:
    setup_django()
    from django.conf import settings

    seconds = SHORT_SECONDS if short_mode() else FULL_SECONDS
    sources = [ensure_source(key, seconds) for key in ("h264", "vp9")]
    rows: list[Row] = []
    extra: dict[str, object] = {
        "input seconds": seconds,
        "ffmpeg threads": settings.PRACTIKA_FFMPEG_THREADS,
        "poll ms": int(POLL_SECONDS * 1000),
    }
    cores = os.cpu_count() or 1
    for source in sources:
        print(f"{source.label}: pipeline ...", flush=True)
        result = run_pipeline(source)
        print(f"{source.label}: naive ffmpeg ...", flush=True)
        naive, naive_cpu = run_naive(source, BENCH_VAR / "work" / f"bench-naive-{source.key}")
        rows += _rows(source, result, naive, naive_cpu, cores)
        ladder = result.stages.get("ladder", float("nan"))
        extra[f"{source.key} playable/naive"] = round(result.playable_s / naive, 4)
        extra[f"{source.key} ladder/duration"] = round(ladder / source.duration, 3)
        extra[f"{source.key} ladder CPU/cores/duration"] = round(
            result.stage_cpu.get("ladder", 0.0) / cores / source.duration, 3
        )
        if result.server_playable_s is not None:
            extra[f"{source.key} playable_at-uploaded_at s"] = round(result.server_playable_s, 2)
        extra[f"{source.key} stages wall/ffmpeg-CPU s"] = " ".join(
            f"{name}={wall:.1f}/{result.stage_cpu.get(name, 0.0):.1f}"
            for name, wall in result.stages.items()
        )
    print_table(
        "clips_pipeline_short" if short_mode() else "clips_pipeline",
        f"clips_pipeline: commit -> playable/ready, {seconds} s 720p30 inputs vs naive ffmpeg",
        rows,
        extra=extra,
    )


if __name__ == "__main__":
    main()
