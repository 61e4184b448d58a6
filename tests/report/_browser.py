"""Headless Chromium for the report tests: load a file with networking off, dump the DOM or take a screenshot."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser", "google-chrome")) if p), None)
SKIP_REASON = "chromium is not on PATH (Debian: apt-get install chromium; .ci/run installs it)"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-extensions", "--mute-audio",
    # no network: every host name resolves to nothing, and no proxy is tried
    "--host-resolver-rules=MAP * ~NOTFOUND", "--no-proxy-server", "--enable-logging=stderr", "--v=0",
]  # fmt: skip

# Installed first in <head>: records uncaught errors and console.error calls into the DOM.
ERROR_PROBE = """<script>
window.__errors = [];
window.addEventListener("error", function (e) { window.__errors.push("Uncaught " + e.message); });
(function () { var orig = console.error; console.error = function () {
  window.__errors.push("console.error " + Array.prototype.join.call(arguments, " ")); orig.apply(console, arguments);
}; }());
</script>"""


def chromium(args: list[str], profile: Path, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    if CHROMIUM is None:
        raise RuntimeError(SKIP_REASON)
    cmd = [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)


def instrument(html: str, body_script: str) -> str:
    """``html`` with the error probe first in <head> and ``body_script`` run after the report's own script."""
    html = html.replace("<head>", "<head>" + ERROR_PROBE, 1)
    return html.replace("</body>", f"<script>{body_script}</script></body>", 1)


def dump_dom(path: Path, profile: Path) -> tuple[str, str]:
    """(DOM after load and scripts, Chromium's stderr)."""
    res = chromium(["--virtual-time-budget=3000", "--dump-dom", path.resolve().as_uri()], profile)
    return res.stdout, res.stderr


def screenshot(path: Path, png: Path, profile: Path, size: tuple[int, int] = (1280, 4000)) -> str:
    res = chromium([f"--screenshot={png}", f"--window-size={size[0]},{size[1]}", "--hide-scrollbars",
                    path.resolve().as_uri()], profile)  # fmt: skip
    return res.stderr


def console_errors(stderr: str) -> list[str]:
    """Console lines Chromium logged for the page's scripts (uncaught exceptions, console.error)."""
    return [ln for ln in stderr.splitlines() if "CONSOLE" in ln and ("Uncaught" in ln or ":ERROR:" in ln)]


def pixels(png: Path) -> np.ndarray:
    """Grey levels 0..255 of a PNG (PIL when installed, else matplotlib's reader)."""
    try:
        from PIL import Image

        return np.asarray(Image.open(png).convert("L"), dtype=float)
    except ImportError:
        from matplotlib.image import imread

        img = imread(png)
        grey = img[..., :3].mean(axis=-1) if img.ndim == 3 else img
        return np.asarray(grey, dtype=float) * (255.0 if grey.max() <= 1.0 else 1.0)
