"""The ``valueshift`` command line: one sub-command per stage, each a thin wrapper over the stage's Python API.

Each module in this package defines ``register(app)`` and is picked up automatically, so stages do not edit a
shared command list. A :class:`~valueshift.errors.ValueshiftError` is printed as one line and exits with 2.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
import warnings

import typer

from valueshift.errors import ValueshiftError

__all__ = ["app", "main"]

app = typer.Typer(
    name="valueshift",
    help="Probe, fine-tune and trace cultural value shifts in multilingual language models.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _register_commands() -> None:
    for mod in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if mod.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{mod.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


_register_commands()


def _show_warning(message: Warning | str, category: type[Warning], *args: object, **kwargs: object) -> None:
    from rich.console import Console

    Console(stderr=True, highlight=False, soft_wrap=True).print(f"[yellow]warning:[/] {message}", markup=True)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``valueshift`` console script."""
    warnings.showwarning = _show_warning  # one readable line per warning, no source excerpt
    # valueshift draws its own progress bars; transformers' per-file load/save bars would interleave with them
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    try:
        app(args=argv, prog_name="valueshift")
    except ValueshiftError as exc:
        from rich.console import Console

        Console(stderr=True, highlight=False, soft_wrap=True).print(f"[bold red]error:[/] {exc}", markup=True)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("interrupted; finished work is kept and a rerun resumes it", file=sys.stderr)
        sys.exit(130)
