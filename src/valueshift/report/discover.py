"""Find the run directories of a study below one folder, by their manifests.

The report never assumes a layout: a grid output, an analysis directory or a lone probe run are all "some run
directories below DIR". :func:`discover` walks the tree, reads every ``manifest.json`` and groups the runs by
their ``command`` (``probe``, ``finetune``, ``analyze``, ``attribute``, and the grid's own node commands such
as ``claims``), and notes each experiment grid's plan (``grid.json``). It also follows an analysis manifest's
``sources`` to the probe runs it compared, and a probe run's model path to the fine-tuning run that produced
it, so a report of an analysis directory alone can still show the base model's probes and each condition's
corpus.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from valueshift.runs import MANIFEST, read_manifest

__all__ = ["STAGES", "Run", "Study", "discover"]

# command -> what a reader runs to produce it (named by sections whose inputs are missing)
STAGES: dict[str, str] = {
    "probe": "valueshift probe --model MODEL --out DIR",
    "finetune": "valueshift finetune ... --out DIR",
    "analyze": "valueshift analyze --base BASE_RUN --tuned TUNED_RUN --out DIR",
    "attribute": "valueshift attribute --run FINETUNE_RUN --probes SPEC --langs LANGS --out DIR",
    "validate": "valueshift attribute validate --attribution DIR --out DIR2",
    "grid": "valueshift run EXPERIMENT.toml --out DIR (the experiment grid)",
}
# Folders that hold model weights or pieces of one run, never other runs: not worth walking.
_SKIP = {"checkpoints", "figures", "model", "adapter", "__pycache__", "node_modules"}
_MAX_DEPTH = 8
GRID_FILE = "grid.json"  # the plan `valueshift run` writes into its output (valueshift.experiments.GRID_FILE)


@dataclass(frozen=True, eq=False)
class Run:
    """One run directory and its manifest (compared by identity: :func:`discover` makes one per directory)."""

    path: Path
    manifest: dict[str, Any]

    @property
    def command(self) -> str:
        return str(self.manifest.get("command") or "unknown")

    @property
    def config(self) -> dict[str, Any]:
        cfg = self.manifest.get("config")
        return cfg if isinstance(cfg, dict) else {}

    @property
    def done(self) -> bool:
        return self.manifest.get("status") == "done"

    def table(self, name: str) -> Path | None:
        """``path/name`` when it exists."""
        target = self.path / name
        return target if target.is_file() else None


@dataclass
class Study:
    """The runs found below ``root``, by command (paths resolved; each run once)."""

    root: Path
    runs: list[Run] = field(default_factory=list)
    grid_files: list[Path] = field(default_factory=list)  # ``grid.json`` of experiment grids (their plans)

    def of(self, *commands: str) -> list[Run]:
        return [r for r in self.runs if r.command in commands]

    def find(self, path: str | os.PathLike[str]) -> Run | None:
        """The run at ``path`` (or holding the file ``path``), if known."""
        p = Path(path).resolve()
        for r in self.runs:
            if r.path == p or r.path == p.parent:
                return r
        return None

    def label(self, run: Run) -> str:
        """The run's path relative to the study root (``.`` for the root itself)."""
        try:
            rel = run.path.relative_to(self.root)
        except ValueError:
            return str(run.path)
        return str(rel) if str(rel) != "." else "."

    def files(self, name: str) -> list[Path]:
        """Every file ``name`` in a run directory or directly in the root (e.g. the grid's ``claims.parquet``)."""
        found = [r.path / name for r in self.runs if (r.path / name).is_file()]
        if (self.root / name).is_file() and self.root / name not in found:
            found.insert(0, self.root / name)
        return found


def _walk(root: Path, grids: list[Path]) -> list[Path]:
    found: list[Path] = []
    base_depth = len(root.parts)
    for here, dirs, files in os.walk(root):
        depth = len(Path(here).parts) - base_depth
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in _SKIP and depth < _MAX_DEPTH)
        if MANIFEST in files:
            found.append(Path(here))
        if GRID_FILE in files:
            grids.append(Path(here) / GRID_FILE)
    return found


def _linked(study: Study, run: Run) -> list[Path]:
    """Run directories a run names outside the walked tree: analysis sources, a probe run's model."""
    out: list[Path] = []
    if run.command == "analyze":
        for src in (run.manifest.get("sources") or {}).values():
            if isinstance(src, str) and src:
                p = Path(src)
                out.append(p if p.is_dir() else p.parent)
    elif run.command in ("probe", "attribute"):
        model = run.config.get("model") or run.config.get("run")
        if isinstance(model, str) and model and Path(model).is_dir():
            out.append(Path(model))  # a fine-tuning run directory is the tuned model's directory
    return out


def discover(root: str | os.PathLike[str]) -> Study:
    """Every run directory at or below ``root`` (and the runs they link to), grouped by manifest command.

    Unreadable manifests are skipped: a report of a half-written study should still show the rest.
    """
    base = Path(root).resolve()
    study = Study(root=base)
    seen: set[Path] = set()
    queue = _walk(base, study.grid_files)
    while queue:
        path = queue.pop(0).resolve()
        if path in seen or not path.is_dir():
            continue
        seen.add(path)
        try:
            manifest = read_manifest(path)
        except Exception:
            manifest = None
        if not manifest or "command" not in manifest:
            continue
        run = Run(path, manifest)
        study.runs.append(run)
        queue.extend(_linked(study, run))
    commands = ["tiny-model", "finetune", "probe", "analyze", "attribute", "recovery", "claims"]
    order = {c: i for i, c in enumerate(commands)}
    study.runs.sort(key=lambda r: (order.get(r.command, -1), str(r.path)))
    return study
