"""Durable webhooks: ``job.completed`` and ``job.failed`` POSTed, signed and retried.

``signing`` makes the headers, ``urls`` refuses unsafe receivers, ``store`` keeps configs and
every delivery attempt, ``delivery`` holds the DBOS workflow that sends and retries.
"""
