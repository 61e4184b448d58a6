"""The report in a real browser: headless Chromium, networking off, no console errors, sorting works, and a
full-page screenshot that is not blank. Skipped when ``chromium`` is not on PATH."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from _browser import CHROMIUM, SKIP_REASON, console_errors, dump_dom, instrument, pixels, screenshot

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason=SKIP_REASON)

# Run after the report's script: sort the shift-count table by mean |delta| (one click: ascending, two:
# descending), record the column each time, check what the page fetched, and write it all into the DOM.
SORT_PROBE = """
(function () {
  var result = {errors: window.__errors};
  try {
    var table = Array.prototype.find.call(document.querySelectorAll("#shifts table.sortable"), function (t) {
      return t.tHead.textContent.indexOf("mean_abs_delta") >= 0 && t.tHead.textContent.indexOf("n_shifted") >= 0;
    });
    var buttons = Array.prototype.slice.call(table.querySelectorAll("button.sort"));
    var btn = buttons.find(function (b) { return b.textContent === "mean_abs_delta"; });
    var col = parseInt(btn.getAttribute("data-col"), 10);
    var read = function () {
      return Array.prototype.map.call(table.tBodies[0].rows, function (r) { return r.cells[col].textContent; });
    };
    result.before = read();
    btn.click(); result.ascending = read(); result.ariaAsc = btn.parentNode.getAttribute("aria-sort");
    btn.click(); result.descending = read();
    var sig = buttons.find(function (b) { return b.textContent === "n_significant"; });
    var sigCol = parseInt(sig.getAttribute("data-col"), 10);
    sig.click(); sig.click();  // descending: missing values (one-seed condition) must still come last
    result.significantDesc = Array.prototype.map.call(table.tBodies[0].rows, function (r) {
      return r.cells[sigCol].textContent; });
    var filter = document.querySelector('input.table-filter[data-for="' + table.id + '"]');
    filter.value = "multi"; filter.dispatchEvent(new Event("input"));
    result.visible = Array.prototype.filter.call(table.tBodies[0].rows, function (r) { return !r.hidden; }).length;
    result.count = document.getElementById(table.id + "-count").textContent;
  } catch (e) { result.errors.push("probe " + e); }
  result.resources = performance.getEntriesByType("resource").map(function (e) { return e.name; });
  var pre = document.createElement("pre"); pre.id = "probe-result";
  pre.textContent = JSON.stringify(result); document.body.appendChild(pre);
}());
"""


def _numbers(cells: list[str]) -> list[float]:
    return [float(c) for c in cells if c != "–"]


def test_page_runs_without_errors_and_sorts(study_report: Path, tmp_path: Path) -> None:
    page = tmp_path / "probe.html"
    page.write_text(instrument(study_report.read_text(encoding="utf-8"), SORT_PROBE), encoding="utf-8")
    dom, stderr = dump_dom(page, tmp_path / "profile")
    found = re.search(r'<pre id="probe-result">(.*?)</pre>', dom, re.S)
    assert found, f"the probe script did not run; chromium said: {stderr[-2000:]}"
    result = json.loads(found.group(1).replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<")
                        .replace("&gt;", ">"))  # fmt: skip
    assert result["errors"] == [] and console_errors(stderr) == []
    assert result["resources"] == []  # nothing fetched: no CDN, no fonts, no images by URL
    before, asc, desc = (_numbers(result[k]) for k in ("before", "ascending", "descending"))
    assert asc == sorted(before) and desc == sorted(before, reverse=True) and asc != before
    assert result["ariaAsc"] == "ascending"
    sig = result["significantDesc"]
    assert "–" in sig and sig[sig.index("–") :] == ["–"] * (len(sig) - sig.index("–")), sig
    assert result["visible"] == len(before) // 2  # the filter keeps the 'multi' rows: half of them
    assert result["count"] == f"{result['visible']} of {len(before)} rows"


def test_the_error_check_sees_an_error(tmp_path: Path) -> None:
    """Negative control: a page whose script throws is caught both in the DOM and in Chromium's log."""
    page = tmp_path / "bad.html"
    html = "<!DOCTYPE html><html><head></head><body><p>x</p><script>undefinedFunction();</script></body></html>"
    page.write_text(instrument(html, "document.body.appendChild(document.createElement('pre')).id = "
                               "'probe-result'; document.getElementById('probe-result').textContent = "
                               "JSON.stringify(window.__errors);"), encoding="utf-8")  # fmt: skip
    dom, stderr = dump_dom(page, tmp_path / "profile")
    assert "undefinedFunction" in dom and any("Uncaught" in ln for ln in console_errors(stderr))


def test_screenshot_is_not_blank(study_report: Path, tmp_path: Path) -> None:
    png = tmp_path / "report.png"
    stderr = screenshot(study_report, png, tmp_path / "profile")
    assert png.is_file(), stderr[-2000:]
    grey = pixels(png)
    assert grey.shape[:2] == (4000, 1280)
    inked = float((grey < 200).mean())
    print(f"screenshot: grey sd {grey.std():.1f}, {inked:.1%} of pixels inked")
    assert grey.std() > 15.0 and inked > 0.02
    assert np.unique(grey.astype(int)).size > 50  # figures and text, not a flat page
