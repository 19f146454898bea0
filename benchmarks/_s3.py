"""A local S3-compatible server for a benchmark run: moto's server mode in a subprocess.

moto (``moto[server]``, a dev extra) is pure Python from PyPI and starts in about a second. The
server keeps its buckets in memory, so stopping it removes whatever a run left behind; each
bucket is still emptied and deleted when its run ends, so one server serves several runs.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from benchmarks._ports import free_port, wait_listening

# moto accepts any credentials; boto3 must find some in its standard chain (the workers read
# these AWS_* variables, as they would on a real deployment).
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
               "AWS_DEFAULT_REGION": "us-east-1"}


@contextmanager
def s3_server() -> Iterator[tuple[str, int]]:
    """Start moto's S3 server on a free loopback port; yield ``(endpoint_url, pid)``; stop it."""
    env = {**os.environ, **CREDENTIALS}
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, start_new_session=True)
    try:
        wait_listening(port, proc, timeout_s=30)
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _client(endpoint_url: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=endpoint_url, region_name="us-east-1",
                        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
                        config=Config(s3={"addressing_style": "path"}))


@contextmanager
def temporary_bucket(endpoint_url: str) -> Iterator[str]:
    """Create ``ugen-bench-<random>`` on the server; yield its name; empty and delete it."""
    client = _client(endpoint_url)
    name = f"ugen-bench-{uuid.uuid4().hex[:10]}"
    client.create_bucket(Bucket=name)
    try:
        yield name
    finally:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=name):
            keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
            if keys:
                client.delete_objects(Bucket=name, Delete={"Objects": keys})
        client.delete_bucket(Bucket=name)


def bucket_bytes(endpoint_url: str, bucket: str) -> tuple[int, int]:
    """Objects and bytes stored in ``bucket``."""
    count = size = 0
    for page in _client(endpoint_url).get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for obj in page.get("Contents", []):
            count += 1
            size += int(obj["Size"])
    return count, size
