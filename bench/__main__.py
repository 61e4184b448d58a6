"""``make bench`` / ``python -m bench``: run every ``bench_*.py`` module, write ``latest.json`` and ``latest.md``.

Lifecycle: set threads explicitly (``--threads``, default ``$OMP_NUM_THREADS`` or 2: ``OMP_NUM_THREADS`` and
``torch.set_num_threads``) -> each module's ``run(out_dir, quick)`` returns ``{"entries": [...], ...}`` -> the
contract of :mod:`bench.common` is written to ``OUT/latest.json`` (atomically) and a table to ``OUT/latest.md``
(also printed). Every speed claim is a ratio against a peer measured in the same run, because shared machines
are noisy. ``--quick`` runs tiny shapes in under two minutes (the test suite runs it to keep the code alive;
its numbers mean nothing). ``--only scoring,training`` selects modules.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import time
import traceback
from pathlib import Path
from typing import Any

MODULES = ("scoring", "training", "attribution", "scaling")


def table(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        f"# valueshift benchmarks ({report['mode']})",
        "",
        f"{m['date']}, {m['cpu']}, {m['threads']} of {m['cores']} cores, torch {m['torch']}, "
        f"transformers {m['transformers']}, load average at start {m['load_avg_1m_at_start']}",
        "",
        "| benchmark | unit | valueshift | peer | peer value | ratio | goal | meets |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for e in report["results"]:
        ratio = "n/a" if e["ratio"] is None else f"{e['ratio']:.2f}"
        meets = {True: "yes", False: "no", None: "n/a"}[e["meets_goal"]]
        lines.append(f"| {e['name']} | {e['unit']} | {e['ours']:.4g} | {e['baseline_name']} | {e['baseline']} | "
                     f"{ratio} | >= {e['goal']} | {meets} |")  # fmt: skip
    for e in report["results"]:
        if "peak_rss_ours_mb" in e:
            lines.append(
                f"\n- {e['name']}: peak RSS valueshift {e['peak_rss_ours_mb']} MB, HF {e['peak_rss_hf_mb']} MB"
            )
        if e.get("note"):
            lines.append(f"\n- {e['name']}: {e['note']}")
    for name, err in report.get("errors", {}).items():
        lines.append(f"\n- module {name} failed: {err}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    parser.add_argument("--only", default="", help=f"comma-separated subset of {','.join(MODULES)}")
    parser.add_argument("--quick", action="store_true", help="tiny shapes, < 2 minutes; checks the code runs")
    parser.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS") or 2))
    args = parser.parse_args(argv)
    os.environ["OMP_NUM_THREADS"] = str(args.threads)  # before torch is imported by anything below
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch

    from bench.common import machine

    torch.set_num_threads(args.threads)
    names = [n for n in MODULES if not args.only or n in args.only.split(",")]
    args.out.mkdir(parents=True, exist_ok=True)
    report: dict[str, Any] = {"machine": machine(args.threads), "mode": "quick" if args.quick else "full",
                              "results": [], "details": {}, "errors": {}}  # fmt: skip
    for name in names:
        print(f"== {name}", flush=True)
        t0 = time.perf_counter()
        try:
            res = importlib.import_module(f"bench.bench_{name}").run(args.out / "work" / name, quick=args.quick)
        except Exception as e:  # one broken bench must not hide the others' numbers; recorded and exit 1
            traceback.print_exc()
            report["errors"][name] = f"{type(e).__name__}: {e}"
            continue
        report["results"].extend(res.pop("entries"))
        report["details"][name] = {**res, "wall_s": round(time.perf_counter() - t0, 1)}
    report["machine"]["load_avg_1m_at_end"] = round(os.getloadavg()[0], 2)
    md = table(report)
    for path, text in ((args.out / "latest.json", json.dumps(report, indent=1, default=str) + "\n"),
                       (args.out / "latest.md", md)):  # fmt: skip
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(text)
        tmp.replace(path)
    print(md)
    print(f"wrote {args.out / 'latest.json'} and {args.out / 'latest.md'}")
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
