"""Reading user text files: one UTF-8 rule and one error message for every stage.

A UTF-8 byte-order mark is dropped (spreadsheet tools and Windows editors write one, and keeping it would turn
the first field of the first line into ``\\ufeffprobe_id``). Bytes that are not UTF-8 raise the calling stage's
error type naming ``file:line`` of the first bad byte.
"""

from __future__ import annotations

from pathlib import Path

from valueshift.errors import ValueshiftError

__all__ = ["decode_utf8", "read_utf8"]


def decode_utf8(data: bytes, path: object, error: type[ValueshiftError]) -> str:
    """Decode ``data`` read from ``path`` as UTF-8 (a BOM is dropped), or raise ``error`` naming the line."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise error(
            f"{path}:{line}: not UTF-8 text ({exc.reason} at byte {exc.start}); re-encode the file as UTF-8 "
            "(e.g. iconv -f <encoding> -t utf-8)"
        ) from exc


def read_utf8(path: Path, error: type[ValueshiftError]) -> str:
    """The text of the file at ``path``; a missing or unreadable file raises ``error`` too."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror or exc}); check the path and permissions") from exc
    return decode_utf8(data, path, error)
