"""A real S3-compatible server for tests: moto's server mode, in a subprocess.

moto (``moto[server]``, a dev extra) installs from PyPI as pure Python and starts in about a
second, so one server serves the whole session; each test gets a bucket of its own. Folders
that need it import the fixtures into their ``conftest.py``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from benchmarks._s3 import s3_server as moto_server
from ugen.store.artifacts.s3 import S3ArtifactStore, s3_client

# moto accepts any credentials; boto3 must find some in its standard chain.
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                    "AWS_DEFAULT_REGION": "us-east-1"}


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    """moto's S3 server on a free port for the session, stopped at the end."""
    with pytest.MonkeyPatch.context() as mp:
        for name, value in FAKE_CREDENTIALS.items():
            mp.setenv(name, value)
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
            mp.delenv(name, raising=False)
        with moto_server() as (endpoint_url, _):
            yield S3Server(endpoint_url)


@pytest.fixture
def s3_bucket(s3_server: S3Server) -> str:
    """A new, empty bucket of the session's server."""
    name = f"ugen-test-{uuid.uuid4().hex[:12]}"
    s3_client(endpoint_url=s3_server.endpoint_url, region=None).create_bucket(Bucket=name)
    return name


def make_s3_store(server: S3Server, bucket: str, cache_dir: Path, **kwargs: int
                  ) -> S3ArtifactStore:
    return S3ArtifactStore(bucket=bucket, prefix="tenant/a", cache_dir=cache_dir,
                           client=s3_client(endpoint_url=server.endpoint_url, region=None),
                           **kwargs)
