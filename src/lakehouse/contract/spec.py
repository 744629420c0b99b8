"""Validated YAML: the reader that contracts and models are parsed with, and their one error type.

`Reader` walks a YAML mapping keeping the field path, so every problem is reported as
`ContractError(file, field, problem)` on one line. Also the Glue/Hive type grammar the contracts accept.
Only PyYAML and the standard library: this runs in Glue jobs, Lambda and the CLI.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal, overload

import yaml

from lakehouse.errors import ContractError

_IDENT = re.compile(r"[a-z_][a-z0-9_]*")  # always fullmatch: `$` would accept a trailing newline
MAX_IDENT = 64  # Glue allows 255, but names are joined (`<name>_quarantine`, job names, S3 prefixes)
# The kit's own objects: the `_ledger`, `_audit`, `_automation` prefixes and `_runs` folders, the
# `<dataset>_quarantine` tables and the audit tables. No dataset, model or table may take these names.
RESERVED_TABLES = ("pipeline_runs", "quality_results")
_PRIMITIVES = {
    "string",
    "boolean",
    "tinyint",
    "smallint",
    "int",
    "bigint",
    "float",
    "double",
    "date",
    "timestamp",
}
_DECIMAL = re.compile(r"^decimal\((\d{1,2}),\s*(\d{1,2})\)$")


def ident_problem(value: object) -> str | None:
    """Why a value is not a valid name (lower_snake_case, at most MAX_IDENT characters), or None."""
    if not isinstance(value, str) or not _IDENT.fullmatch(value):
        return f"{value!r} must be lower_snake_case (a-z, 0-9, _)"
    if len(value) > MAX_IDENT:
        return f"{value[:20]!r}... is {len(value)} characters long: at most {MAX_IDENT}"
    return None


def table_name_problem(value: object) -> str | None:
    """Why a value may not name a dataset, model or table (invalid, or reserved for the kit), or None."""
    problem = ident_problem(value)
    if problem or not isinstance(value, str):
        return problem
    if value.startswith("_"):
        return f"{value!r} is reserved: names starting with '_' are the kit's own (ledger, audit, runs)"
    if value.endswith("_quarantine"):
        return f"{value!r} is reserved: '<dataset>_quarantine' is the kit's quarantine table"
    if value in RESERVED_TABLES:
        return f"{value!r} is reserved: it is one of the kit's audit tables ({', '.join(RESERVED_TABLES)})"
    return None


def normalize(name: str) -> str:
    """A source's spelling of a column name in contract spelling: 'Order Date ' -> 'order_date'."""
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lstrip("\ufeff").lower()).strip("_")


def parse_yaml(text: str | bytes, path: Path | str) -> Any:
    """A YAML document; a syntax error becomes a ContractError naming the file and line."""
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "yaml"
        raise ContractError(path, where, f"not valid YAML ({getattr(exc, 'problem', exc)})") from None


def read_yaml(path: Path | str) -> Any:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ContractError(path, "file", "does not exist") from None
    return parse_yaml(text, path)


class Reader:
    """Walks a YAML mapping, keeping the field path for error messages."""

    def __init__(self, path: Path, doc: Any, where: str = ""):
        self.path, self.where = path, where
        if not isinstance(doc, dict):
            raise self.error("", f"must be a mapping, got {type(doc).__name__}")
        self.doc = doc

    def error(self, key: str, problem: str) -> ContractError:
        where = ".".join(p for p in (self.where, key) if p) or "contract"
        return ContractError(self.path, where, problem)

    def value(
        self, key: str, kind: type | tuple[type, ...], *, required: bool = True, default: Any = None
    ) -> Any:
        """The value of `key`, an instance of `kind` (a bool does not pass for `int`); when it is absent
        or null, `default`, unless it is required."""
        if key not in self.doc or self.doc[key] is None:
            if required:
                raise self.error(key, "is required")
            return default
        value = self.doc[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            raise self.error(key, f"must be a {names}, got {type(value).__name__}")
        return value

    def text(self, key: str, *, required: bool = True, default: str | None = None) -> str:
        """A string field."""
        return self.value(key, str, required=required, default=default)

    def flag(self, key: str, *, default: bool) -> bool:
        """An optional true/false field."""
        return self.value(key, bool, required=False, default=default)

    def integer(self, key: str, *, default: int) -> int:
        """An optional whole-number field (not a bool)."""
        return self.value(key, int, required=False, default=default)

    def ident(self, key: str, *, required: bool = True) -> str:
        value = self.text(key, required=required)
        problem = ident_problem(value) if value is not None else None
        if problem:
            raise self.error(key, problem)
        return value

    def table_name(self, key: str = "name") -> str:
        """The name of a dataset, model or table: an identifier not reserved for the kit."""
        value = self.text(key)
        problem = table_name_problem(value)
        if problem:
            raise self.error(key, problem)
        return value

    def names(self, key: str, *, required: bool = True) -> tuple[str, ...]:
        value = self.value(key, list, required=required, default=[])
        for i, item in enumerate(value):
            problem = ident_problem(item)
            if problem:
                raise self.error(f"{key}[{i}]", problem)
        return tuple(value)

    def items(self, key: str, *, required: bool = True) -> Iterator[Reader]:
        value = self.value(key, list, required=required, default=[])
        if required and not value:
            raise self.error(key, "must not be empty")
        for i, item in enumerate(value):
            yield Reader(self.path, item, f"{self.where + '.' if self.where else ''}{key}[{i}]")

    @overload
    def child(self, key: str, *, required: Literal[True] = ...) -> Reader: ...

    @overload
    def child(self, key: str, *, required: bool) -> Reader | None: ...

    def child(self, key: str, *, required: bool = True) -> Reader | None:
        value = self.value(key, dict, required=required)
        if value is None:
            return None
        return Reader(self.path, value, f"{self.where + '.' if self.where else ''}{key}")

    def type(self, key: str = "type") -> str:
        # type names are case-insensitive; a struct's field names keep their case (JSON keys are matched as written)
        value = re.sub(
            r"\b([A-Za-z_][A-Za-z0-9_]*)\b(?!\s*:)", lambda m: m.group(1).lower(), self.text(key).strip()
        )
        problem = type_problem(value)
        if problem:
            raise self.error(key, problem)
        return value

    def only(self, *allowed: str) -> None:
        extra = sorted(set(self.doc) - set(allowed))
        if extra:
            raise self.error(extra[0], f"unknown field (allowed: {', '.join(allowed)})")


def type_problem(value: str) -> str | None:
    """Why a Glue/Hive type string is not supported, or None if it is."""
    try:
        _parse_type(value.replace(" ", ""))
    except ValueError as exc:
        return f"{value!r} is not a supported type ({exc})"
    return None


def _parse_type(text: str) -> None:
    def parse(s: str, i: int) -> int:
        m = re.match(r"[a-z]+(\(\d+,\d+\))?", s[i:])
        if not m:
            raise ValueError("expected a type name")
        name = m.group(0)
        i += len(name)
        if name in _PRIMITIVES or _DECIMAL.match(name):
            return i
        if name in ("array", "map", "struct"):
            if i >= len(s) or s[i] != "<":
                raise ValueError(f"{name} needs <...>")
            i += 1
            if name == "array":
                i = parse(s, i)
            elif name == "map":
                i = parse(s, i)
                if s[i : i + 1] != ",":
                    raise ValueError("map needs <key,value>")
                i = parse(s, i + 1)
            else:
                while True:
                    f = re.match(r"[A-Za-z_][A-Za-z0-9_]*:", s[i:])  # JSON keys keep their case
                    if not f:
                        raise ValueError("struct fields are name:type")
                    i = parse(s, i + len(f.group(0)))
                    if s[i : i + 1] != ",":
                        break
                    i += 1
            if s[i : i + 1] != ">":
                raise ValueError("unbalanced <>")
            return i + 1
        raise ValueError(f"unknown type {name!r}")

    end = parse(text, 0)
    if end != len(text):
        raise ValueError("trailing characters")
