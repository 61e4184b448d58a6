"""The error type of the human reference data stage."""

from __future__ import annotations

from valueshift.errors import ValueshiftError

__all__ = ["ReferenceDataError"]


class ReferenceDataError(ValueshiftError):
    """A human reference file (WVS export, language-country mapping, shipped table) is missing or malformed.

    Messages name the file and, where it helps, the line and column, and say what to do.
    """
