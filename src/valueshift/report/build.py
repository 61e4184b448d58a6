"""The HTML report's entry point: :func:`build_report` (run directories below a folder → one HTML file).

Lifecycle:

1. :func:`~valueshift.report.discover.discover` finds the run directories by their manifests;
2. :class:`~valueshift.report.data.StudyData` reads their tables (absent files are empty tables);
3. one builder per section (study, claims, known truth, probes, base profiles, shifts, similarity, human
   alignment, attribution) returns its blocks, or names the command that would produce its inputs;
4. :func:`render_report` fills the jinja2 templates in ``valueshift/report/templates`` (autoescaped; the CSS
   and the few lines of sorting/filtering JavaScript are inlined, so the page needs no network);
5. the file is written atomically.

Examples
--------
>>> from valueshift.report import build_report
>>> build_report("runs/demo", "runs/demo/report.html")  # doctest: +SKIP
PosixPath('runs/demo/report.html')
"""

from __future__ import annotations

import datetime as dt
import os
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import jinja2

from valueshift.errors import RunError
from valueshift.report.data import Section, StudyData, guides
from valueshift.report.discover import discover
from valueshift.report.recovery import recovery_section
from valueshift.report.results import alignment_section, attribution_section, shifts_section, similarity_section
from valueshift.report.sections import claims_section, probes_section, profiles_section, study_section
from valueshift.runs import atomic_path

__all__ = ["SECTIONS", "build_report", "render_report"]

SECTIONS: tuple[Callable[[StudyData], Section], ...] = (
    study_section, claims_section, recovery_section, probes_section, profiles_section, shifts_section,
    similarity_section, alignment_section, attribution_section,
)  # fmt: skip


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("valueshift.report", "templates"),
        autoescape=True,  # every value is text from files a user may not control
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def _build(make: Callable[[StudyData], Section], data: StudyData) -> Section:
    """One section; a table this version cannot read (an older or newer layout) fails that section only."""
    try:
        return make(data)
    except Exception as exc:  # the rest of the report is still worth having
        name = make.__name__.removesuffix("_section")
        warnings.warn(f"report section {name!r} could not be built: {type(exc).__name__}: {exc}", stacklevel=2)
        sec = Section(id=name, title=name.capitalize(), guide=guides()[name])
        sec.missing = f"this section could not be built from the tables found ({type(exc).__name__}: {exc})"
        return sec


def render_report(sections: Sequence[Section], *, title: str, root: str) -> str:
    """The HTML page of ``sections``."""
    from valueshift import __version__

    when = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    template = _environment().get_template("report.html.j2")
    return template.render(sections=sections, title=title, root=root, generated=when, version=__version__)


def build_report(
    root: str | os.PathLike[str],
    out: str | os.PathLike[str] | None = None,
    *,
    title: str | None = None,
) -> Path:
    """Write the report of every run directory at or below ``root`` to ``out`` (default ``root/report.html``).

    Raises
    ------
    RunError
        ``root`` is not a directory, or ``out`` is a directory.
    """
    base = Path(root)
    if not base.is_dir():
        raise RunError(f"{base}: not a directory; pass a run directory or a folder of runs")
    target = Path(out) if out is not None else base / "report.html"
    if target.is_dir():
        raise RunError(f"{target}: is a directory; pass a file name such as {target / 'report.html'}")
    data = StudyData(discover(base))
    sections = [_build(make, data) for make in SECTIONS]
    html = render_report(sections, title=title or f"valueshift report: {base.resolve().name}", root=str(base))
    target.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(target) as tmp:
        Path(tmp).write_text(html, encoding="utf-8")
    return target
