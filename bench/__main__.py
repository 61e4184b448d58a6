"""``make bench``: run every ``bench_*.py`` module, write ``results.json`` and ``results.md``.

Every speed claim is a ratio against a baseline measured in the same run (machines are noisy), with thread
counts set explicitly. Select modules with ``--only scoring,training``.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("--out", type=Path, default=Path("bench/results"))
    parser.add_argument("--only", default="", help="comma-separated module suffixes, e.g. scoring,training")
    args = parser.parse_args()
    import torch

    threads = int(os.environ.get("OMP_NUM_THREADS", "2"))
    torch.set_num_threads(threads)
    args.out.mkdir(parents=True, exist_ok=True)
    names = sorted(p.stem for p in Path(__file__).parent.glob("bench_*.py"))
    if args.only:
        names = [n for n in names if n.removeprefix("bench_") in args.only.split(",")]
    results: dict[str, object] = {
        "machine": {"cpu": platform.processor() or platform.machine(), "threads": threads, "torch": torch.__version__},
        "started": time.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    lines = ["# valueshift benchmarks", "", f"threads: {threads}, torch {torch.__version__}", ""]
    for name in names:
        print(f"== {name}", flush=True)
        t0 = time.perf_counter()
        res = importlib.import_module(f"bench.{name}").run(args.out / name)
        res["wall_s"] = round(time.perf_counter() - t0, 1)
        results[name] = res
        lines += [f"## {name}", "", *res.get("markdown", "").splitlines(), ""]
        print(json.dumps({k: v for k, v in res.items() if k != "markdown"}, indent=1, default=str), flush=True)
    (args.out / "results.json").write_text(json.dumps(results, indent=2, default=str) + "\n")
    (args.out / "results.md").write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out / 'results.json'} and {args.out / 'results.md'}")


if __name__ == "__main__":
    main()
