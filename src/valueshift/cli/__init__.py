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

__all__ = ["app", "exit_code", "main"]

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


def _say(label: str, style: str, message: object) -> None:
    """One line on stderr; the message is printed verbatim (a path like ``runs/[b]ase`` must survive)."""
    from rich.console import Console
    from rich.text import Text

    Console(stderr=True, highlight=False, soft_wrap=True).print(Text.assemble((label, style), " ", str(message)))


def _show_warning(message: Warning | str, category: type[Warning], *args: object, **kwargs: object) -> None:
    _say("warning:", "yellow", message)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``valueshift`` console script."""
    from valueshift.runs import INVOCATION

    shown = warnings.showwarning
    warnings.showwarning = _show_warning  # one readable line per warning, no source excerpt
    # valueshift draws its own progress bars; transformers' per-file load/save bars would interleave with them
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    token = INVOCATION.set(["valueshift", *(sys.argv[1:] if argv is None else argv)])
    try:
        app(args=argv, prog_name="valueshift")
    except ValueshiftError as exc:
        _say("error:", "bold red", exc)
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        print("interrupted; finished work is kept and a rerun resumes it", file=sys.stderr)
        sys.exit(130)
    finally:
        INVOCATION.reset(token)
        warnings.showwarning = shown


def exit_code(argv: list[str]) -> int:
    """Run the command line on ``argv`` and return its exit code instead of exiting (for scripts and tests)."""
    try:
        main(argv)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    return 0
