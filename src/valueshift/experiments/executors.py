"""Executors: one scheduling loop over the job graph, four engines to run a node on.

Lifecycle of :func:`run_nodes`: read every node's state from disk -> submit the nodes whose upstream nodes are
done -> when one finishes, read its state from disk again (results on disk are the only channel between nodes)
-> a failed node blocks only its own downstream nodes (``keep_going``; off: nothing new is submitted after a
failure) -> return the final states.

Engines: ``local`` (in this process; ``jobs > 1``: a ``ProcessPoolExecutor``), ``ray`` (each node a Ray task with
the node type's declared CPUs/GPUs; ``ray_address`` for a cluster) and ``slurm`` (submitit job arrays, one per
node type and wave, with its time/CPU/GPU/memory settings; a preempted task is requeued and resumes from its
run directory's partial state). ``slurm_cluster="local"`` or ``"debug"`` runs submitit's local executors (tests).
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any, Literal, Protocol

from valueshift.experiments.nodes import Node
from valueshift.experiments.plan import EVENTS, NodeState, execute_node, node_state, states
from valueshift.experiments.spec import Resources, SlurmSettings

__all__ = ["ExecutorName", "run_nodes"]

ExecutorName = Literal["local", "ray", "slurm"]


class Engine(Protocol):
    def submit(self, nodes: list[Node]) -> None: ...
    def wait(self) -> list[tuple[str, str]]: ...  # (node id, result) of at least one finished node
    def close(self) -> None: ...


class Serial:
    def __init__(self) -> None:
        self.queue: list[Node] = []

    def submit(self, nodes: list[Node]) -> None:
        self.queue += nodes

    def wait(self) -> list[tuple[str, str]]:
        node = self.queue.pop(0)
        return [(node.id, execute_node(node.to_json()))]

    def close(self) -> None:
        pass


def _inherit_warnings(show: Callable[..., None], filters: list[Any]) -> None:
    warnings.showwarning = show
    warnings.filters[:] = filters  # type: ignore[index]  # in place: the C module holds this very list


class Processes:
    def __init__(self, jobs: int) -> None:
        import multiprocessing

        # spawn: a forked child would inherit torch's thread pools and locks mid-state; a spawned one starts with
        # Python's warning display and filters, so hand it the caller's (the CLI's one-line format, the demo's filter)
        self.pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn"),
                                        initializer=_inherit_warnings,
                                        initargs=(warnings.showwarning, list(warnings.filters)))  # fmt: skip
        self.futures: dict[Future[str], str] = {}

    def submit(self, nodes: list[Node]) -> None:
        for n in nodes:
            self.futures[self.pool.submit(execute_node, n.to_json())] = n.id

    def wait(self) -> list[tuple[str, str]]:
        done, _ = wait(list(self.futures), return_when=FIRST_COMPLETED)
        out = []
        for f in done:
            nid = self.futures.pop(f)
            out.append((nid, f.result() if f.exception() is None else f"failed: {f.exception()}"))
        return out

    def close(self) -> None:
        self.pool.shutdown(cancel_futures=True)


class Ray:
    def __init__(self, resources: dict[str, Resources], address: str | None) -> None:
        import ray

        if not ray.is_initialized():
            ray.init(address=address, include_dashboard=False, log_to_driver=False)
        self.ray = ray
        self.task = ray.remote(execute_node)
        self.resources = resources
        self.refs: dict[Any, str] = {}

    def submit(self, nodes: list[Node]) -> None:
        for n in nodes:
            r = self.resources.get(n.kind, Resources())
            self.refs[self.task.options(num_cpus=r.cpus, num_gpus=r.gpus).remote(n.to_json())] = n.id

    def wait(self) -> list[tuple[str, str]]:
        ready, _ = self.ray.wait(list(self.refs), num_returns=1)
        out = []
        for ref in ready:
            nid = self.refs.pop(ref)
            try:
                out.append((nid, self.ray.get(ref)))
            except Exception as exc:  # a worker lost or killed; the disk state decides
                out.append((nid, f"failed: {exc}"))
        return out

    def close(self) -> None:
        pass


class NodeTask:
    """A submitit callable that is requeued on preemption (the node resumes from its run directory)."""

    def __call__(self, node_json: dict[str, Any]) -> str:
        return execute_node(node_json)

    def checkpoint(self, node_json: dict[str, Any]) -> Any:
        import submitit

        return submitit.helpers.DelayedSubmission(self, node_json)


class Slurm:
    def __init__(self, folder: Path, resources: dict[str, Resources], settings: SlurmSettings, cluster: str | None):
        import submitit

        self.executor = submitit.AutoExecutor(folder=folder, cluster=cluster)
        self.resources, self.settings = resources, settings
        self.jobs: dict[Any, str] = {}

    def submit(self, nodes: list[Node]) -> None:
        for kind in dict.fromkeys(n.kind for n in nodes):
            r = self.resources.get(kind, Resources())
            params: dict[str, Any] = {
                "timeout_min": r.time_min, "cpus_per_task": r.cpus, "mem_gb": r.mem_gb, "name": kind,
                "slurm_array_parallelism": self.settings.array_parallelism,
            }  # fmt: skip
            if r.gpus:
                params["gpus_per_node"] = int(r.gpus)
            if self.settings.partition:
                params["slurm_partition"] = self.settings.partition
            if self.settings.account:
                params["slurm_account"] = self.settings.account
            if self.settings.extra:
                params["slurm_additional_parameters"] = self.settings.extra
            self.executor.update_parameters(**params)
            batch = [n for n in nodes if n.kind == kind]
            with self.executor.batch():  # one job array per node type and wave
                jobs = [self.executor.submit(NodeTask(), n.to_json()) for n in batch]
            self.jobs.update({j: n.id for j, n in zip(jobs, batch, strict=True)})

    def wait(self) -> list[tuple[str, str]]:
        while True:
            finished = [j for j in self.jobs if j.done()]
            if finished:
                out = []
                for j in finished:
                    nid = self.jobs.pop(j)
                    try:
                        out.append((nid, j.result()))
                    except Exception as exc:  # the disk state decides
                        out.append((nid, f"failed: {str(exc).splitlines()[0] if str(exc) else exc!r}"))
                return out
            time.sleep(0.5)

    def close(self) -> None:
        pass


def _engine(name: ExecutorName, out: Path, jobs: int, resources: dict[str, Resources], slurm: SlurmSettings,
            ray_address: str | None, slurm_cluster: str | None) -> Engine:  # fmt: skip
    if name == "ray":
        return Ray(resources, ray_address)
    if name == "slurm":
        return Slurm(out / EVENTS / "submitit", resources, slurm, slurm_cluster)
    return Processes(jobs) if jobs > 1 else Serial()


def run_nodes(
    nodes: list[Node],
    out: Path,
    *,
    executor: ExecutorName = "local",
    jobs: int = 1,
    keep_going: bool = True,
    resources: dict[str, Resources] | None = None,
    slurm: SlurmSettings | None = None,
    ray_address: str | None = None,
    slurm_cluster: str | None = None,
    on_event: Callable[[str, NodeState], None] | None = None,
) -> dict[str, NodeState]:
    """Run every node that is not done, respecting dependencies; return each node's final state."""
    by_id = {n.id: n for n in nodes}
    cur = states(nodes)
    in_flight: set[str] = set()
    failed = False
    engine = _engine(executor, out, jobs, resources or {}, slurm or SlurmSettings(), ray_address, slurm_cluster)
    try:
        while True:
            if not (failed and not keep_going):
                ready = [n for n in nodes if n.id not in in_flight and cur[n.id].state == "run"]
                if ready:
                    engine.submit(ready)
                    in_flight.update(n.id for n in ready)
            if not in_flight:
                break
            for nid, result in engine.wait():
                in_flight.discard(nid)
                node = by_id[nid]
                state = node_state(node, cur)  # the disk, not the worker's word, decides
                if state.state != "done":
                    state = NodeState("failed", result.removeprefix("failed: ") if result.startswith("failed")
                                      else state.message or result)  # fmt: skip
                    failed = True
                cur[nid] = state
                if on_event is not None:
                    on_event(nid, state)
                # downstream states depend on this node: recompute them in plan order
                for n in nodes:
                    if n.id not in in_flight and cur[n.id].state in ("pending", "blocked", "run") and nid in n.deps:
                        cur[n.id] = node_state(n, cur)
                for n in nodes:
                    if cur[n.id].state in ("pending", "blocked") and any(cur[d].state == "blocked" for d in n.deps):
                        cur[n.id] = NodeState("blocked", "an upstream node failed")
    finally:
        engine.close()
    return cur
