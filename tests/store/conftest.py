"""Fixtures of the storage tests: the S3 server and its buckets (from ``tests/utils/s3.py``)."""

from tests.utils.s3 import S3Server, make_s3_store, s3_bucket, s3_server

__all__ = ["S3Server", "make_s3_store", "s3_bucket", "s3_server"]
