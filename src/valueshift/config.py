"""Typed stage configs: one pydantic model per stage, the only place a default is written.

Every stage config derives from :class:`StageConfig`: unknown fields are refused (``extra="forbid"``), objects are
frozen, every field carries a description (used as the CLI help and as the fix in error messages), and a config
round-trips through JSON and TOML unchanged. :meth:`StageConfig.build` turns pydantic's ValidationError into the
stage's own error type, naming the field, the value it got and what is allowed.
"""

from __future__ import annotations

import sys
from typing import Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from valueshift.errors import ConfigError, ValueshiftError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = ["StageConfig", "describe_errors"]

C = TypeVar("C", bound="StageConfig")


def describe_errors(exc: ValidationError, model: type[BaseModel], prefix: str = "") -> str:
    """One line per problem: ``field=value: what is wrong (field: description)``."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"])
        field = model.model_fields.get(str(err["loc"][0])) if err["loc"] else None
        hint = f" ({field.description})" if field is not None and field.description else ""
        if err["type"] == "extra_forbidden":
            known = ", ".join(sorted(model.model_fields))
            parts.append(f"{prefix}{loc}: unknown setting; known settings are {known}")
        else:
            parts.append(f"{prefix}{loc}={err.get('input')!r}: {err['msg']}{hint}")
    return "; ".join(parts)


class StageConfig(BaseModel):
    """Base of every stage's config (see the module docstring)."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)

    error: ClassVar[type[ValueshiftError]] = ConfigError
    # old field name -> new one; an old name in a saved or written config fails with the new name
    renamed: ClassVar[dict[str, str]] = {}

    @classmethod
    def build(cls: type[C], **fields: Any) -> C:
        """Validate ``fields``; a bad value is the stage's error naming the field, the value and the rule."""
        for old, new in cls.renamed.items():
            if old in fields:
                raise cls.error(f"{cls.__name__}: setting {old!r} was renamed to {new!r}; use {new}")
        try:
            return cls(**fields)
        except ValidationError as exc:
            raise cls.error(f"invalid {cls.__name__} setting(s): {describe_errors(exc, cls)}") from exc

    def to_json(self) -> dict[str, Any]:
        """Plain JSON data; what goes into a manifest and a run key."""
        return self.model_dump(mode="json")

    @classmethod
    def from_json(cls: type[C], data: dict[str, Any]) -> C:
        return cls.build(**data)

    def to_toml(self) -> str:
        import tomli_w

        # TOML has no null: unset optional settings are simply left out and come back as their default
        return tomli_w.dumps(_drop_none(self.to_json()))

    @classmethod
    def from_toml(cls: type[C], text: str) -> C:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise cls.error(f"{cls.__name__}: not valid TOML ({exc})") from exc
        return cls.from_json(data)


def _drop_none(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _drop_none(v) for k, v in obj.items() if v is not None}
    if isinstance(obj, list):
        return [_drop_none(v) for v in obj]
    return obj
