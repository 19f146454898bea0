"""A client generated from ``/openapi.json`` by openapi-python-client works end to end.

A real server (uvicorn, an in-process worker) runs one small job; the client is generated
from the schema the server serves (``--fail-on-warning``: every operation and response is
generated, none skipped) and the job is made, followed, inspected and downloaded through it
alone: the upload as a multipart file, the job, its stages with typed outputs, the MP4 and
poster downloads, and a stage's media through its signed ``/files`` URL.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.utils.api import isolated_settings
from tests.utils.images import product_png
from tests.utils.server import running_server
from ugen.api.main import create_app
from ugen.core.types import STAGES
from ugen.store.api_keys import create_account

pytestmark = pytest.mark.slow

PACKAGE = "ugen_api_client"
JOB = {"product_name": "Glow Serum", "video_model": "kling3_std", "segment_duration": 3,
       "segment_count": 1, "music_enabled": False}
OUTPUT_TYPES = {"prepare": "PrepareOutput", "agents": "AgentsOutput", "init": "InitOutput",
                "generation": "GenerationOutput", "concat": "ConcatOutput",
                "audio": "AudioOutput", "captions": "CaptionsOutput",
                "complete": "CompleteOutput"}


@dataclass(frozen=True)
class Generated:
    """The generated package, its modules by operation, and a client per account."""

    package: ModuleType
    url: str
    owner: Any
    stranger: Any
    anonymous: Any
    job_id: str
    job: Any
    """The completed job as the generated ``JobPublic``."""

    def op(self, tag: str, name: str) -> Any:
        return importlib.import_module(f"{PACKAGE}.api.{tag}.{name}")

    def model(self, name: str) -> Any:
        return getattr(importlib.import_module(f"{PACKAGE}.models"), name)


def generate(base_url: str, root: Path) -> ModuleType:
    """Generate the client from the served schema into ``root`` and import it."""
    spec = httpx.get(f"{base_url}/openapi.json", timeout=30).json()
    (root / "openapi.json").write_text(json.dumps(spec))
    # As a user runs it: its post-generation hooks (ruff, from the same environment) included.
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    done = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate",
         "--path", str(root / "openapi.json"), "--output-path", str(root / PACKAGE),
         "--meta", "none", "--fail-on-warning"],
        capture_output=True, text=True, timeout=300, check=False, env={**os.environ, "PATH": path})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Warning" not in done.stdout + done.stderr, done.stdout + done.stderr
    sys.path.insert(0, str(root))
    return importlib.import_module(PACKAGE)


def _forget(root: Path) -> None:
    sys.path.remove(str(root))
    for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
        del sys.modules[name]


def _wait_ended(gen_get_job: Any, client: Any, job_id: str, timeout_s: float = 300) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        job = gen_get_job.sync(job_id, client=client)
        if job.status.value in ("completed", "failed", "cancelled", "stopped"):
            return job
        assert time.monotonic() < deadline, f"job {job_id} still {job.status.value}"
        time.sleep(0.3)


@pytest.fixture(scope="module")
def gen(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Generated]:
    """One small job made through the generated client on a real server."""
    root = tmp_path_factory.mktemp("generated_client")
    with isolated_settings(root / "data", video_poll_interval_s="0.1") as settings:
        _, owner_key = create_account(settings, "Glow Labs", 1000)
        _, stranger_key = create_account(settings, "Other Shop", 1000)
        with running_server(create_app(settings, runtime_role="worker")) as url:
            package = generate(url, root)
            try:
                client_mod = importlib.import_module(f"{PACKAGE}.client")
                owner = client_mod.AuthenticatedClient(base_url=url, token=owner_key,
                                                       timeout=httpx.Timeout(60.0))
                stranger = client_mod.AuthenticatedClient(base_url=url, token=stranger_key)
                anonymous = client_mod.Client(base_url=url)
                models = importlib.import_module(f"{PACKAGE}.models")
                types = importlib.import_module(f"{PACKAGE}.types")
                upload_op = importlib.import_module(
                    f"{PACKAGE}.api.uploads.uploads_upload_product_image")
                create_op = importlib.import_module(f"{PACKAGE}.api.jobs.jobs_create_job")
                get_op = importlib.import_module(f"{PACKAGE}.api.jobs.jobs_get_job")

                png = product_png(root / "serum.png").read_bytes()
                body = models.UploadsUploadProductImageProductImageUpload(
                    file=types.File(payload=BytesIO(png), file_name="serum.png",
                                    mime_type="image/png"))
                uploaded = upload_op.sync_detailed(client=owner, body=body)
                assert uploaded.status_code == 201, uploaded.content
                assert isinstance(uploaded.parsed, models.UploadPublic)
                assert uploaded.parsed.content_type == "image/png"
                assert uploaded.parsed.size_bytes == len(png)

                created = create_op.sync_detailed(client=owner, body=models.JobCreate(
                    product_image_url=uploaded.parsed.url, **JOB))
                assert created.status_code == 201, created.content
                job_id = created.parsed.job_id
                job = _wait_ended(get_op, owner, job_id)
                yield Generated(package, url, owner, stranger, anonymous, job_id, job)
            finally:
                _forget(root)


def _stages(gen: Generated, client: Any | None = None) -> Any:
    return gen.op("jobs", "jobs_list_stages").sync_detailed(gen.job_id,
                                                             client=client or gen.owner)


def _media_links(value: Any) -> Iterator[Any]:
    """Every generated ``MediaLink`` inside an output, nested ones included."""
    link = sys.modules[f"{PACKAGE}.models.media_link"].MediaLink
    if isinstance(value, link):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _media_links(item)
    elif hasattr(value, "to_dict") and hasattr(value, "__attrs_attrs__"):
        for field in value.__attrs_attrs__:
            yield from _media_links(getattr(value, field.name))


def _signed(link: Any, job_id: str) -> tuple[str, str, str]:
    """``(name, expires, signature)`` of a signed ``/files`` URL of the job."""
    parts = urlsplit(link.url)
    prefix = f"/api/v1/files/{job_id}/"
    assert parts.path.startswith(prefix), link.url
    query = parse_qs(parts.query)
    return parts.path.removeprefix(prefix), query["expires"][0], query["signature"][0]


def test_job_made_through_generated_client_completes(gen: Generated) -> None:
    job = gen.job
    assert job.status.value == "completed", job.error_message
    assert job.progress_percent == 100
    assert [s.name.value for s in job.stages] == list(STAGES)
    assert job.final_video_url.startswith(f"/api/v1/files/{gen.job_id}/final.mp4?expires=")


def test_stages_listed_with_typed_outputs(gen: Generated) -> None:
    answer = _stages(gen)
    assert answer.status_code == 200, answer.content
    stages = answer.parsed
    assert [s.name.value for s in stages] == list(STAGES)
    for stage in stages:
        assert stage.status.value == "completed", stage.name
        assert stage.run_number == 1
        assert stage.error is None
        assert stage.started_at <= stage.finished_at
        assert isinstance(stage.outputs, gen.model(OUTPUT_TYPES[stage.name.value])), stage.name
    by_name = {s.name.value: s.outputs for s in stages}
    media_link = gen.model("MediaLink")

    generation = by_name["generation"]
    assert [k.item for k in generation.keyframes] == ["kf_01"]
    assert [s.item for s in generation.segments] == ["seg_00"]
    for record in [*generation.keyframes, *generation.segments]:
        assert isinstance(record.artifact, media_link)
        assert record.qa.passed is True
        assert record.started_at <= record.finished_at
    assert generation.keyframes[0].artifact.key == f"{gen.job_id}/keyframes/kf_01.png"
    assert isinstance(by_name["init"].anchor.artifact, media_link)
    assert isinstance(by_name["prepare"].product_image, media_link)
    assert isinstance(by_name["audio"].voice, media_link)
    assert isinstance(by_name["audio"].mix, media_link)
    assert isinstance(by_name["captions"].subtitles, media_link)
    assert by_name["captions"].words, "the captions' word timings"
    complete = by_name["complete"]
    assert isinstance(complete.final_video, media_link)
    assert complete.final_video.key == f"{gen.job_id}/final.mp4"
    assert isinstance(complete.thumbnail, media_link)
    for stage in stages:
        for link in _media_links(stage.outputs):
            _signed(link, gen.job_id)  # every medium is a signed link of this job

    one = gen.op("jobs", "jobs_get_stage").sync_detailed(
        gen.job_id, gen.model("JobsGetStageStage")("generation"), client=gen.owner)
    assert one.status_code == 200, one.content
    assert one.parsed.name.value == "generation"
    assert [s.artifact.key for s in one.parsed.outputs.segments] == [
        s.artifact.key for s in generation.segments]


def test_stages_of_another_accounts_job_not_found(gen: Generated) -> None:
    answer = _stages(gen, gen.stranger)
    assert answer.status_code == 404
    assert isinstance(answer.parsed, gen.model("ErrorPublic"))
    assert answer.parsed.error.code == "JOB_NOT_FOUND"


def _ffprobe_duration(path: Path) -> float:
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration",
                          "-of", "json", str(path)], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    return float(json.loads(out)["format"]["duration"])


def test_video_downloads_through_generated_client(gen: Generated, tmp_path: Path) -> None:
    answer = gen.op("jobs", "jobs_download_video").sync_detailed(gen.job_id, client=gen.owner)
    assert answer.status_code == 200, answer.content[:200]
    assert answer.headers["content-type"] == "video/mp4"
    assert isinstance(answer.parsed, importlib.import_module(f"{PACKAGE}.types").File)
    data = answer.parsed.payload.read()
    assert data[4:8] == b"ftyp"
    (tmp_path / "ad.mp4").write_bytes(data)
    duration = _ffprobe_duration(tmp_path / "ad.mp4")
    complete = next(s for s in _stages(gen).parsed if s.name.value == "complete").outputs
    assert complete.size_bytes == len(data)
    assert abs(duration - complete.duration_s) < 0.1, (duration, complete.duration_s)
    planned = JOB["segment_count"] * JOB["segment_duration"]  # type: ignore[operator]
    assert abs(duration - planned) < 0.5, (duration, planned)

    stranger = gen.op("jobs", "jobs_download_video").sync_detailed(gen.job_id,
                                                                   client=gen.stranger)
    assert stranger.status_code == 404
    assert stranger.parsed.error.code == "JOB_NOT_FOUND"


def test_thumbnail_downloads_through_generated_client(gen: Generated) -> None:
    answer = gen.op("jobs", "jobs_download_thumbnail").sync_detailed(gen.job_id,
                                                                     client=gen.owner)
    assert answer.status_code == 200, answer.content[:200]
    assert answer.headers["content-type"] == "image/jpeg"
    assert answer.parsed.payload.read()[:3] == b"\xff\xd8\xff"


def test_stage_media_downloads_by_signed_url(gen: Generated) -> None:
    generation = next(s for s in _stages(gen).parsed if s.name.value == "generation").outputs
    name, expires, signature = _signed(generation.keyframes[0].artifact, gen.job_id)
    assert name == "keyframes/kf_01.png"  # a name with a slash, sent as one path parameter
    download = gen.op("files", "files_download_file")
    answer = download.sync_detailed(gen.job_id, name, client=gen.anonymous, expires=expires,
                                    signature=signature)
    assert answer.status_code == 200, answer.content[:200]
    assert answer.headers["content-type"] == "image/png"
    assert answer.parsed.payload.read()[:8] == b"\x89PNG\r\n\x1a\n"

    altered = download.sync_detailed(gen.job_id, name, client=gen.anonymous, expires=expires,
                                     signature=("0" if signature[0] != "0" else "1")
                                     + signature[1:])
    assert altered.status_code == 403
    assert isinstance(altered.parsed, gen.model("ErrorPublic"))
    assert altered.parsed.error.code == "INVALID_SIGNATURE"
    unsigned = download.sync_detailed(gen.job_id, name, client=gen.anonymous)
    assert unsigned.status_code == 403
    assert unsigned.parsed.error.code == "INVALID_SIGNATURE"


@pytest.mark.parametrize(("content", "code"), [
    (b"this is not an image\n" * 40, "UNSUPPORTED_IMAGE"),
    (b"", "EMPTY_FILE"),
])
def test_bad_upload_refused_through_generated_client(gen: Generated, content: bytes,
                                                     code: str) -> None:
    types = importlib.import_module(f"{PACKAGE}.types")
    body = gen.model("UploadsUploadProductImageProductImageUpload")(
        file=types.File(payload=BytesIO(content), file_name="photo.png", mime_type="image/png"))
    answer = gen.op("uploads", "uploads_upload_product_image").sync_detailed(
        client=gen.owner, body=body)
    assert answer.status_code == 400, answer.content
    assert isinstance(answer.parsed, gen.model("ErrorPublic"))
    assert answer.parsed.error.code == code

