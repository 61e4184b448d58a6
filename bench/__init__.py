"""Benchmarks for `make bench`: each ``bench_*.py`` module exposes ``run(out_dir) -> dict``."""
