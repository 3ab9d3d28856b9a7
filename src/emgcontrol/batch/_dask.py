"""The Dask side of :func:`emgcontrol.batch.run`: cluster, worker warm-up, tasks.

Imported only when a batch has work to do (it imports ``distributed``).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ..errors import EmgcontrolError

try:
    from distributed import Client, LocalCluster, as_completed
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError as _err:  # pragma: no cover - depends on the installation
    raise EmgcontrolError(
        "cohort processing needs dask.distributed: pip install 'emgcontrol[cohort]' "
        f"(or 'dask[distributed]' and pyarrow); import failed: {_err}") from None

from ._run import error_item, run_one, warm_up

PLUGIN_NAME = "emgcontrol-warmup"


class WarmupPlugin(WorkerPlugin):
    """Worker plugin running :func:`~emgcontrol.batch.warm_up` once per worker (in a
    thread, so the worker keeps answering the scheduler meanwhile)."""

    name = PLUGIN_NAME

    def __init__(self, protocol: str, warm_kwargs: Mapping[str, Any]) -> None:
        self.protocol = protocol
        self.warm_kwargs = dict(warm_kwargs)
        self.seconds: float | None = None

    async def setup(self, worker: Any) -> None:
        loop = asyncio.get_running_loop()
        self.seconds = await loop.run_in_executor(
            None, functools.partial(warm_up, self.protocol, **self.warm_kwargs))


def _connect(client: Any, n_workers: int | None, threads_per_worker: int, processes: bool,
             n_tasks: int) -> tuple[Any, Any, bool]:
    """(client, cluster or None, owned)."""
    if isinstance(client, Client):
        return client, None, False
    if isinstance(client, str):
        try:
            c = Client(client, timeout="15s")
        except (OSError, TimeoutError) as err:
            raise EmgcontrolError(f"cannot connect to the Dask scheduler at {client!r}: "
                                  f"{err}") from None
        return c, None, True
    if client is not None:
        raise EmgcontrolError("client must be a distributed.Client, a scheduler address "
                              f"('tcp://host:8786') or None; got {type(client).__name__}")
    n = n_workers or max(1, min(os.cpu_count() or 1, n_tasks))
    cluster = LocalCluster(n_workers=n, threads_per_worker=threads_per_worker,
                           processes=processes, dashboard_address=":0",
                           silence_logs=logging.ERROR)
    try:
        c = Client(cluster)
    except BaseException:
        cluster.close()
        raise
    return c, cluster, True


def execute(
    jobs: Sequence[tuple[str, str]],
    protocol: str,
    task_kwargs: Mapping[str, Any],
    *,
    client: Any,
    n_workers: int | None,
    threads_per_worker: int,
    processes: bool,
    warm_kwargs: Mapping[str, Any] | None,
    on_result: Callable[[str, dict[str, Any]], Any],
    on_start: Callable[[], Any] | None = None,
) -> dict[str, Any]:
    """Run :func:`run_one` for every ``(content_hash, path)`` job; call
    ``on_result(content_hash, item)`` in this thread as each finishes (in completion
    order).  A task that fails on the Dask side (worker lost, cancelled...) gives an
    error item; nothing here raises for one recording.

    Returns ``{"n_workers", "scheduler"}``.
    """
    c, cluster, owned = _connect(client, n_workers, threads_per_worker, processes, len(jobs))
    plugin_set = False
    pending: dict[Any, tuple[str, str]] = {}
    try:
        try:
            c.wait_for_workers(1, timeout=60)
        except TimeoutError:
            raise EmgcontrolError(f"the Dask scheduler at {c.scheduler.address} has no "
                                  "workers (waited 60 s)") from None
        if warm_kwargs is not None:
            try:
                c.register_plugin(WarmupPlugin(protocol, warm_kwargs), name=PLUGIN_NAME)
                plugin_set = True
            except Exception:  # noqa: BLE001 - the tasks then report what is wrong
                pass
        token = uuid.uuid4().hex[:8]
        for h, path in jobs:
            fut = c.submit(run_one, path, protocol, content_hash=h, **task_kwargs,
                           key=f"emgcontrol-batch-{h[:16]}-{token}", pure=False)
            pending[fut] = (h, path)
        if on_start is not None:
            on_start()
        for fut in as_completed(list(pending)):
            h, path = pending.pop(fut)
            try:
                item = fut.result()
            except Exception as err:  # noqa: BLE001 - KilledWorker, CancelledError...
                item = error_item(path, h, task_kwargs.get("settings"), err)
            fut.release()
            on_result(h, item)
        return {"n_workers": len(c.nthreads()), "scheduler": c.scheduler.address}
    finally:
        if pending:
            try:
                c.cancel(list(pending))
            except Exception:  # noqa: BLE001 - closing anyway
                pass
        if plugin_set and cluster is None:  # a cluster that outlives this call
            try:
                c.unregister_worker_plugin(PLUGIN_NAME)
            except Exception:  # noqa: BLE001 - best effort on a shared cluster
                pass
        if owned:
            c.close()
            if cluster is not None:
                cluster.close()
