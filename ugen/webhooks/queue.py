"""The DBOS queue webhook deliveries wait on, found where the workers registered it.

The pipeline's workers register it with every other queue (``ugen.pipeline.queues``, under
this same name); delivery only looks it up, so webhooks need nothing from the pipeline.
"""

from __future__ import annotations

from dbos import DBOS, Queue

WEBHOOKS_QUEUE = "ugen_webhooks"


def get_queue(name: str = WEBHOOKS_QUEUE) -> Queue:
    """The queue ``name`` as registered in the shared database (by any process)."""
    queue = DBOS.retrieve_queue(name)
    if queue is None:
        raise LookupError(f"queue {name} is not registered; start a worker first")
    return queue
