"""The local Athena dialect: Athena (Trino) SQL in, DuckDB SQL out, with Trino's answers or a refusal.

Guarantee: a query either gets Athena's answer (value and type) or fails with one line
`not supported locally: <construct> (Athena would <do what>)`. Nothing is guessed.

How: sqlglot parses with its Athena dialect, qualifies the query and annotates every expression with
its type against the schema of the DuckDB connection (the catalog's tables and views). `TrinoSemantics`
then walks the tree bottom-up and rewrites each construct whose DuckDB meaning differs from Trino's
(integer and decimal division, date arithmetic result types, NULL-versus-empty results, map and array
subscripts, regex replacement syntax, JSON functions, time zones, ...) into DuckDB expressions or
`lh_*` macros (`lakehouse.engine.macros`); a construct whose meaning depends on a type that cannot be
known, or that has no exact DuckDB equivalent, raises `NotSupportedLocally`. `DuckDBLocal` is the
generator, with a few overrides. docs/local-athena.md lists what is exact and what is refused.

Why one long module: every rewrite is a method of the one tree walk (`TrinoSemantics`), each short and
keyed by the construct it fixes; split by construct, they would share the walk's state through
imports and the reader would lose the one place where "what differs from Trino" is listed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import ClassVar, TypeGuard, cast

import sqlglot
from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.dialects.trino import Trino
from sqlglot.errors import OptimizeError, SqlglotError
from sqlglot.generators.duckdb import DuckDBGenerator
from sqlglot.optimizer.annotate_types import annotate_types
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, traverse_scope

from lakehouse.errors import QueryError

T = exp.DType
INTEGERS = {T.TINYINT: 3, T.SMALLINT: 5, T.INT: 10, T.BIGINT: 19}  # Trino's decimal precision of each
INTEGER_ORDER = [T.TINYINT, T.SMALLINT, T.INT, T.BIGINT]
FLOATS = {T.DOUBLE, T.FLOAT}
TEXT = {T.VARCHAR, T.TEXT, T.CHAR}
TIMESTAMPS = {T.TIMESTAMP, T.TIMESTAMPNTZ, T.TIMESTAMP_MS, T.TIMESTAMP_S, T.TIMESTAMP_NS, T.DATETIME}
TZ_TIMESTAMPS = {T.TIMESTAMPTZ, T.TIMESTAMPLTZ}
DATE_UNITS = {"DAY", "WEEK", "MONTH", "QUARTER", "YEAR"}
TIME_UNITS = {"MILLISECOND", "SECOND", "MINUTE", "HOUR"}
SESSION_ZONE = "UTC"  # Athena's session time zone; the local connection runs with TimeZone = 'UTC'

# extract() fields whose DuckDB name means something else (Trino's DOW is ISO: Monday 1 .. Sunday 7)
EXTRACT_FIELDS = {
    "DOW": "ISODOW",
    "DAYOFWEEK": "ISODOW",
    "DAY_OF_WEEK": "ISODOW",
    "DOY": "DOY",
    "DAYOFYEAR": "DOY",
    "DAY_OF_YEAR": "DOY",
    "YOW": "ISOYEAR",
    "YEAR_OF_WEEK": "ISOYEAR",
    "WEEK": "WEEK",
    "YEAR": "YEAR",
    "QUARTER": "QUARTER",
    "MONTH": "MONTH",
    "DAY": "DAY",
    "HOUR": "HOUR",
    "MINUTE": "MINUTE",
    "SECOND": "SECOND",
}

# Joda-Time pattern letters (format_datetime) -> strftime; anything else is refused
JODA = {
    "yyyy": "%Y",
    "yy": "%y",
    "y": "%Y",
    "MMMM": "%B",
    "MMM": "%b",
    "MM": "%m",
    "M": "%-m",
    "dd": "%d",
    "d": "%-d",
    "HH": "%H",
    "H": "%-H",
    "hh": "%I",
    "h": "%-I",
    "mm": "%M",
    "m": "%-M",
    "ss": "%S",
    "s": "%-S",
    "SSS": "%g",
    "a": "%p",
    "EEEE": "%A",
    "EEE": "%a",
    "DDD": "%j",
}

# Functions sqlglot does not know (exp.Anonymous) that this module translates; any other is refused.
# the text forms of dates and timestamps parsed the same way by Trino and DuckDB; others are refused
DATE_TEXT = r"\d{4}-\d{2}-\d{2}"
TIMESTAMP_TEXT = r"\d{4}-\d{2}-\d{2}( \d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?)?"

JAVA_WHITESPACE = (
    " \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2008\u2009\u200a\u2028\u2029\u205f\u3000"
)

HANDLED_ANONYMOUS = {
    "format_datetime",
    "at_timezone",
    "map_agg",
    "any_match",
    "all_match",
    "none_match",
    "url_extract_host",
    "url_extract_path",
    "json_array_length",
}

# sqlglot function nodes whose DuckDB rendering gives Trino's value and type (checked one by one; the
# ones with a visit_* method below are rewritten instead). Any other function is refused.
SAME_IN_DUCKDB = (
    # operators sqlglot models as functions
    exp.And,
    exp.Or,
    exp.Xor,
    # structure and conditionals
    exp.Cast,
    exp.TryCast,
    exp.Case,
    exp.If,
    exp.Coalesce,
    exp.Nullif,
    exp.Greatest,
    exp.Least,
    exp.Array,
    exp.Struct,
    exp.Try,
    exp.Unnest,
    exp.Exists,
    exp.Explode,
    # aggregates and windows
    exp.Count,
    exp.Min,
    exp.Max,
    exp.AnyValue,
    exp.ArgMax,
    exp.ArgMin,
    exp.ArrayAgg,
    exp.LogicalAnd,
    exp.LogicalOr,
    exp.Stddev,
    exp.StddevSamp,
    exp.StddevPop,
    exp.Variance,
    exp.VariancePop,
    exp.RowNumber,
    exp.Rank,
    exp.DenseRank,
    exp.PercentRank,
    exp.CumeDist,
    exp.Ntile,
    exp.Lag,
    exp.Lead,
    exp.FirstValue,
    exp.LastValue,
    exp.NthValue,
    # numbers (double results, or the input type)
    exp.Abs,
    exp.Sqrt,
    exp.Cbrt,
    exp.Ln,
    exp.Exp,
    exp.Pow,
    # strings
    exp.Lower,
    exp.Upper,
    exp.Length,
    exp.StrPosition,
    exp.Replace,
    exp.Reverse,
    exp.Pad,
    exp.StartsWith,
    exp.RegexpLike,
    exp.Split,
    exp.ArrayToString,
    exp.ArrayContains,
    exp.ArrayFilter,
    exp.Transform,
    exp.MapKeys,
    exp.Map,
    exp.VarMap,
    exp.Lambda,
    # dates (bigint fields, date results)
    exp.Year,
    exp.Month,
    exp.Day,
    exp.Hour,
    exp.Minute,
    exp.Second,
    exp.Quarter,
    exp.DayOfWeekIso,
    exp.DayOfYear,
    exp.WeekOfYear,
    exp.YearOfWeek,
    exp.LastDay,
    exp.CurrentDate,
    exp.TimeToUnix,
    exp.StrToTime,
    exp.StrToDate,
    exp.TsOrDsToDate,
    exp.JSONFormat,
    exp.ParseJSON,
)

# Where a `timestamp with time zone` in a zone other than UTC may appear: functions reading its
# wall-clock fields get the wall clock in that zone; comparisons and ordering use the instant.
WALL_CLOCK_READERS = (
    exp.Year,
    exp.Month,
    exp.Day,
    exp.Hour,
    exp.Minute,
    exp.Second,
    exp.Quarter,
    exp.DayOfWeekIso,
    exp.DayOfWeek,
    exp.DayOfYear,
    exp.WeekOfYear,
    exp.YearOfWeek,
    exp.Extract,
    exp.Date,
    exp.TimeToStr,
)
INSTANT_USERS = (
    exp.Alias,
    exp.Paren,
    exp.EQ,
    exp.NEQ,
    exp.LT,
    exp.LTE,
    exp.GT,
    exp.GTE,
    exp.Ordered,
    exp.Min,
    exp.Max,
    exp.TimeToUnix,
    exp.Select,
    exp.Order,
    exp.Group,
)


class NotSupportedLocally(QueryError):
    """A construct the local engine cannot answer exactly as Athena would: refused, never guessed."""

    def __init__(self, construct: str, athena_would: str):
        super().__init__(f"not supported locally: {construct} (Athena would {athena_would})")

    @classmethod
    def from_line(cls, line: str) -> NotSupportedLocally:
        """The error a macro raised at run time (its message is already the one line)."""
        exc = cls.__new__(cls)
        QueryError.__init__(exc, line)
        return exc


class AthenaLocal(Trino):
    """Reading side: Athena engine v3 runs queries with Trino's syntax (sqlglot's Athena dialect hands
    DML to its Trino parser); the semantics live in `TrinoSemantics`.

    INDEX_OFFSET 0: sqlglot would otherwise shift `x[1]` to a 0-based index whenever it cannot tell
    an array from a map (`m[1]` on a map with integer keys too); subscripts are rewritten with their
    original, 1-based index by `TrinoSemantics.visit_bracket`.
    """

    INDEX_OFFSET = 0


class DuckDBLocal(DuckDB):
    """Writing side: DuckDB, with the generator overrides Trino semantics need."""

    # DuckDB.Generator is DuckDBGenerator; named by its class, since mypy cannot subclass a class attribute
    class Generator(DuckDBGenerator):
        TRANSFORMS: ClassVar[dict] = {
            **DuckDBGenerator.TRANSFORMS,
            # Trino's date_diff counts whole units elapsed: DuckDB's datesub, not its date_diff
            exp.DateDiff: lambda self, e: self.func(
                "datesub", exp.Literal.string(_unit(e)), e.expression, e.this
            ),
        }


def _unit(e: exp.Expr) -> str:
    unit = e.args.get("unit")
    name = (unit.name if unit is not None else "DAY").upper()
    return name[:-1] if name.endswith("S") and name[:-1] in DATE_UNITS | TIME_UNITS else name


# --------------------------------------------------------------------------------------------------
# templates: DuckDB SQL with `_a_`, `_b_`, ... standing for sub-expressions (no string patching)

_TEMPLATES: dict[str, exp.Expr] = {}


def tpl(sql: str, **parts: exp.Expr) -> exp.Expr:
    """A DuckDB expression from a template, its `_name_` columns replaced by the given expressions."""
    if sql not in _TEMPLATES:
        _TEMPLATES[sql] = sqlglot.parse_one(sql, read=DuckDBLocal)
    tree = _TEMPLATES[sql].copy()
    for col in list(tree.find_all(exp.Column)):
        name = col.name
        if not col.table and name.startswith("_") and name.endswith("_") and name.strip("_") in parts:
            col.replace(parts[name.strip("_")].copy())
    return tree


def dtype(text: str) -> exp.DataType:
    return exp.DataType.build(text, dialect="trino")


def _is(t: exp.DataType | None, kinds) -> TypeGuard[exp.DataType]:
    return t is not None and t.this in kinds


def _decimal_ps(t: exp.DataType) -> tuple[int, int] | None:
    """(precision, scale) of a decimal type, or of the decimal an integer type coerces to."""
    if t.this in INTEGERS:
        return INTEGERS[t.this], 0
    if t.this == T.DECIMAL:
        params = t.expressions
        if len(params) == 2:
            return int(params[0].name), int(params[1].name)
        if len(params) == 1:
            return int(params[0].name), 0
        return (38, 0) if not params else None
    return None


def trino_type_name(t: exp.DataType | None) -> str | None:
    """The name Trino's typeof() prints for a type (timestamps carry precision 3)."""
    if t is None or t.this in (T.UNKNOWN, T.NULL):
        return None
    if t.this in TIMESTAMPS:
        return "timestamp(3)"
    if t.this in TZ_TIMESTAMPS:
        return "timestamp(3) with time zone"
    if t.this in (T.VARCHAR, T.TEXT):
        return "varchar"
    if t.this == T.DECIMAL:
        ps = _decimal_ps(t)
        return f"decimal({ps[0]},{ps[1]})" if ps else None
    if t.this in (T.ARRAY, T.LIST):
        inner = trino_type_name(t.expressions[0]) if t.expressions else None
        return f"array({inner})" if inner else None
    if t.this == T.MAP:
        k, v = (trino_type_name(x) for x in t.expressions) if len(t.expressions) == 2 else (None, None)
        return f"map({k}, {v})" if k and v else None
    simple = {
        T.BOOLEAN: "boolean",
        T.TINYINT: "tinyint",
        T.SMALLINT: "smallint",
        T.INT: "integer",
        T.BIGINT: "bigint",
        T.DOUBLE: "double",
        T.FLOAT: "real",
        T.DATE: "date",
        T.JSON: "json",
        T.VARBINARY: "varbinary",
        T.BINARY: "varbinary",
        T.UUID: "uuid",
    }
    return simple.get(t.this)


def _decimal_params(t: exp.DataType) -> tuple[int, int]:
    """_decimal_ps of a type the caller has checked is a decimal: never None for one of 0 to 2
    parameters, all that Trino allows."""
    return cast("tuple[int, int]", _decimal_ps(t))


def _named_type(t: exp.DataType) -> str:
    """trino_type_name of a type the caller has checked is a number, date, timestamp or boolean type:
    never None for those."""
    return cast(str, trino_type_name(t))


# --------------------------------------------------------------------------------------------------


@dataclass
class Translation:
    sql: str
    zones: dict[int, str] = field(default_factory=dict)  # output column -> time zone of its values
    notes: list[str] = field(default_factory=list)


# macros (and templates) that can stop a query at run time, by the construct they implement
RAISES_AT_RUN_TIME = {
    "error": "substr with a negative length",
    "lh_json_extract_scalar": "json_extract_scalar",
    "lh_json_extract": "json_extract",
    "lh_url_extract_path": "url_extract_path",
    "lh_sequence_check": "sequence",
    "lh_check_date_text": "CAST of text to date",
    "lh_check_timestamp_text": "CAST of text to timestamp",
    "lh_check_int_text": "CAST of text to an integer type",
    "lh_try_int_text": "TRY_CAST of text to an integer type",
}

UNNAMED = "lh_unnamed"
DONE = "lh_done"
ZONE = "lh_zone"


class TrinoSemantics:
    """Rewrites one qualified, type-annotated Trino query into DuckDB terms (see the module docstring)."""

    def __init__(self) -> None:
        self.notes: list[str] = []

    # types ------------------------------------------------------------------------------------------
    def type_of(self, node: exp.Expr) -> exp.DataType | None:
        """Trino's type of an expression, or None when it cannot be known."""
        if "lh_type" in node.meta:
            return node.meta["lh_type"]
        if isinstance(node, (exp.Paren, exp.Alias)):
            return self.type_of(node.this)
        if isinstance(node, exp.Literal):
            return _literal_type(node)
        if isinstance(node, exp.Neg):
            return self.type_of(node.this)
        if isinstance(node, exp.Cast):
            return node.to
        if isinstance(node, (exp.Add, exp.Sub, exp.Mul)):
            return self._arith_type(node)
        t = node.type
        if t is None or t.this == T.UNKNOWN:
            return None
        return t

    def _arith_type(self, node: exp.Binary) -> exp.DataType | None:
        lt, rt = self.type_of(node.left), self.type_of(node.right)
        if lt is None or rt is None:
            return None
        if lt.this in INTEGERS and rt.this in INTEGERS:
            return exp.DataType.build(max(lt.this, rt.this, key=INTEGER_ORDER.index))
        if _is(lt, FLOATS) or _is(rt, FLOATS):
            if lt.this in FLOATS | INTEGERS.keys() | {T.DECIMAL} and rt.this in FLOATS | INTEGERS.keys() | {
                T.DECIMAL
            }:
                return dtype("double") if T.DOUBLE in (lt.this, rt.this) else dtype("real")
            return node.type if node.type and node.type.this != T.UNKNOWN else None
        lps, rps = _decimal_ps(lt), _decimal_ps(rt)
        if lps and rps:
            (p1, s1), (p2, s2) = lps, rps
            if isinstance(node, exp.Mul):
                return dtype(f"decimal({min(38, p1 + p2)},{s1 + s2})")
            s = max(s1, s2)
            return dtype(f"decimal({min(38, 1 + s + max(p1 - s1, p2 - s2))},{s})")
        t = node.type
        return None if t is None or t.this == T.UNKNOWN else t

    def typed(self, node: exp.Expr, t: exp.DataType | str | None) -> exp.Expr:
        if isinstance(t, str):
            t = dtype(t)
        node.meta["lh_type"] = t
        return node

    # entry point ------------------------------------------------------------------------------------
    def rewrite(self, tree: exp.Expr) -> exp.Expr:
        """Rewrite scope by scope, innermost first, so a CTE's or subquery's Trino output types are
        known where the outer query reads its columns."""
        for scope in traverse_scope(tree):
            self._type_columns_from_inner_scopes(scope)
            self._rewrite_nodes(scope.expression)
        tree = self._rewrite_nodes(tree)
        self._check_zones(tree)
        self._check_try(tree)
        return tree

    def _check_try(self, tree: exp.Expr) -> None:
        """DuckDB refuses `error()` inside TRY: a check that can only fail at run time is refused there."""
        for try_node in tree.find_all(exp.Try):
            for fn in try_node.find_all(exp.Anonymous):
                construct = RAISES_AT_RUN_TIME.get(fn.name.lower())
                if construct:
                    raise NotSupportedLocally(
                        f"{construct} inside TRY", "evaluate it, returning NULL only on an error"
                    )

    def _type_columns_from_inner_scopes(self, scope: Scope) -> None:
        for col in scope.columns:
            source = scope.sources.get(col.table)
            if not isinstance(source, Scope):
                continue
            select = _outer_select(source.expression)
            for p in select.expressions if select else []:
                if p.alias_or_name == col.name:
                    t = self.type_of(p)
                    if t is not None:
                        col.meta["lh_type"] = t
                    zone = (p.this if isinstance(p, exp.Alias) else p).meta.get(ZONE)
                    if zone:
                        col.meta[ZONE] = zone
                    break

    def _rewrite_nodes(self, root: exp.Expr) -> exp.Expr:
        for node in reversed(list(root.walk(bfs=False))):
            if node.meta.get(DONE) or (node.parent is None and node is not root):
                continue  # rewritten with an inner scope, or detached by an earlier rewrite
            new = self.visit(node)
            if new is not None and new is not node:
                if node is root:
                    root = new
                else:
                    node.replace(new)
            for n in (new if new is not None else node).walk():
                n.meta[DONE] = True
        return root

    def visit(self, node: exp.Expr) -> exp.Expr | None:
        method = getattr(self, f"visit_{type(node).__name__.lower()}", None)
        if method:
            return method(node)
        if isinstance(node, exp.Func) and not isinstance(node, SAME_IN_DUCKDB):
            name = node.sql(dialect=AthenaLocal).split("(", 1)[0].strip().lower() or type(node).__name__
            raise NotSupportedLocally(
                f"function {name}()", f"run Trino's {name}(), which has no checked local equivalent"
            )
        return None

    def in_try(self, node: exp.Expr) -> bool:
        return node.find_ancestor(exp.Try) is not None

    def known_types(self, *operands: exp.Expr, what: str) -> list[exp.DataType]:
        """The operands' Trino types, refusing the operation when one is not known."""
        types = []
        for o in operands:
            t = self.type_of(o)
            if t is None:
                raise NotSupportedLocally(
                    f"{what} on `{o.sql(dialect='trino')}`, whose type is not known locally",
                    "pick the operation by the operand's type",
                )
            types.append(t)
        return types

    # arithmetic -------------------------------------------------------------------------------------
    def visit_div(self, node: exp.Div) -> exp.Expr:
        a, b = node.left, node.right
        lt, rt = self.known_types(a, b, what="`/`")
        if lt.this in INTEGERS and rt.this in INTEGERS:
            macro = "lh_try_idiv" if self.in_try(node) else "lh_idiv"
            return self.typed(
                tpl(f"{macro}(_a_, _b_)", a=a, b=b), self._arith_type(exp.Add(this=a, expression=b))
            )
        if lt.this in FLOATS or rt.this in FLOATS:
            return self.typed(
                exp.Div(this=a, expression=b), "double" if T.DOUBLE in (lt.this, rt.this) else "real"
            )
        lps, rps = _decimal_ps(lt), _decimal_ps(rt)
        if lps and rps:
            (p1, s1), (_, s2) = lps, rps
            scale = max(s1, s2)
            precision = min(38, p1 + s2 + max(0, s2 - s1))
            return self._decimal_quotient(a, s1, b, s2, precision, scale, node)
        raise NotSupportedLocally(
            f"`/` on {trino_type_name(lt) or lt.sql()} and {trino_type_name(rt) or rt.sql()}",
            "apply Trino's operator for those types",
        )

    def _unscaled(self, e: exp.Expr, scale: int) -> exp.Expr:
        """The HUGEINT e * 10^scale of a decimal or integer e (exact)."""
        return tpl(f"CAST(CAST(_e_ AS DECIMAL(38, {scale})) * {10**scale} AS HUGEINT)", e=e)

    def _decimal_quotient(self, a, s1, b, s2, precision, scale, node) -> exp.Expr:
        # a / b = A * 10^(scale - s1 + s2) / B in units of 10^-scale, rounded half up (HUGEINT arithmetic)
        k = scale - s1 + s2
        numerator = tpl(f"_a_ * CAST('{10**k}' AS HUGEINT)", a=self._unscaled(a, s1))
        macro = "lh_try_div_half_up" if self.in_try(node) else "lh_div_half_up"
        unit = str(Decimal(1).scaleb(-scale)) if scale else "1"
        return self.typed(
            tpl(
                f"CAST(CAST({macro}(_n_, _d_) AS DECIMAL(38, 0)) * {unit} AS DECIMAL({precision}, {scale}))",
                n=numerator,
                d=self._unscaled(b, s2),
            ),
            f"decimal({precision},{scale})",
        )

    def visit_mod(self, node: exp.Mod) -> exp.Expr:
        a, b = node.this, node.expression
        lt, rt = self.known_types(a, b, what="`%`")
        if lt.this in INTEGERS and rt.this in INTEGERS:
            macro = "lh_try_imod" if self.in_try(node) else "lh_imod"
            return self.typed(
                tpl(f"{macro}(_a_, _b_)", a=a, b=b), self._arith_type(exp.Add(this=a, expression=b))
            )
        if lt.this in FLOATS and rt.this in FLOATS | INTEGERS.keys():
            return self.typed(node, "double")
        raise NotSupportedLocally("`%` on decimal operands", "return a decimal remainder of Trino's type")

    def visit_sum(self, node: exp.Sum) -> exp.Expr | None:
        t = self.type_of(node.this.unnest() if isinstance(node.this, exp.Distinct) else node.this)
        arg = node.this.expressions[0] if isinstance(node.this, exp.Distinct) else node.this
        t = self.type_of(arg)
        if t is None:
            raise NotSupportedLocally(
                f"sum of `{arg.sql(dialect='trino')}`, whose type is not known locally",
                "return bigint, decimal or double by the argument's type",
            )
        target = node.parent if isinstance(node.parent, exp.Window) else node
        if t.this in INTEGERS:
            self._wrap(target, "bigint")
        elif t.this == T.DECIMAL:
            _, scale = _decimal_params(t)
            self.typed(target, f"decimal(38,{scale})")
        elif t.this in FLOATS:
            self.typed(target, "double" if t.this == T.DOUBLE else "real")
        return None

    def visit_countif(self, node: exp.CountIf) -> None:
        self._wrap(node.parent if isinstance(node.parent, exp.Window) else node, "bigint")

    def _same_type_as_input(self, node: exp.Func, what: str) -> exp.Expr:
        t = self.type_of(node.this)
        if t is None:
            raise NotSupportedLocally(
                f"{what} of `{node.this.sql(dialect='trino')}`, whose type is not known locally",
                "return a value of the argument's type",
            )
        name = trino_type_name(t)
        if t.this == T.DECIMAL and what in ("floor", "ceil", "ceiling"):
            p, s = _decimal_params(t)
            name = f"decimal({p - s + min(s, 1)},0)"
        if name is None:
            # a type with no Trino name here (a row, say) fails as DataType.build(None) always made it
            # fail: the same ValueError (refusing it with NotSupportedLocally would change behaviour)
            raise ValueError("Invalid data type: <class 'NoneType'>. Expected str or DType")
        return self.typed(exp.Cast(this=node.copy(), to=dtype(name)), name)

    def visit_sign(self, node: exp.Sign) -> exp.Expr:
        return self._same_type_as_input(node, "sign")

    def visit_floor(self, node: exp.Floor) -> exp.Expr:
        if node.args.get("decimals") is not None:
            raise NotSupportedLocally("floor with a scale", "fail: Trino's floor takes one argument")
        return self._same_type_as_input(node, "floor")

    def visit_ceil(self, node: exp.Ceil) -> exp.Expr:
        if node.args.get("decimals") is not None:
            raise NotSupportedLocally("ceil with a scale", "fail: Trino's ceil takes one argument")
        return self._same_type_as_input(node, "ceil")

    def visit_arrayposition(self, node: exp.Expr) -> exp.Expr:
        found = tpl("coalesce(array_position(_a_, _x_), 0)", a=node.this, x=node.expression)
        return self.typed(exp.Cast(this=found, to=dtype("bigint")), "bigint")

    def visit_trim(self, node: exp.Trim) -> exp.Expr:
        if node.args.get("expression") is not None:
            return node  # trim(BOTH 'x' FROM s): the same characters removed in DuckDB
        # Trino trims Java whitespace (tabs, newlines, Unicode spaces), DuckDB only ' '
        position = (node.args.get("position") or "BOTH").upper()
        name = {"LEADING": "ltrim", "TRAILING": "rtrim"}.get(position, "trim")
        return self.typed(
            exp.Anonymous(this=name, expressions=[node.this.copy(), exp.Literal.string(JAVA_WHITESPACE)]),
            "varchar",
        )

    def visit_substring(self, node: exp.Substring) -> exp.Expr:
        start, length = node.args.get("start"), node.args.get("length")
        if start is None:
            return node
        if length is None:
            return self.typed(
                tpl("CASE WHEN _p_ = 0 THEN '' ELSE substring(_s_, _p_) END", s=node.this, p=start), "varchar"
            )
        return self.typed(
            tpl(
                "CASE WHEN _p_ = 0 THEN '' WHEN _n_ < 0 THEN error('not supported locally: substr with a negative "
                "length (Athena would fail or return an empty string by version)') ELSE substring(_s_, _p_, _n_) END",
                s=node.this,
                p=start,
                n=length,
            ),
            "varchar",
        )

    def _wrap(self, target: exp.Expr, type_name: str) -> None:
        """Cast `target` (in place) to a Trino type."""
        cast = exp.Cast(this=target.copy(), to=exp.DataType.build(type_name, dialect="trino"))
        target.replace(self.typed(cast, type_name))

    def visit_avg(self, node: exp.Avg) -> exp.Expr | None:
        arg = node.this.expressions[0] if isinstance(node.this, exp.Distinct) else node.this
        t = self.type_of(arg)
        if t is None:
            raise NotSupportedLocally(
                f"avg of `{arg.sql(dialect='trino')}`, whose type is not known locally",
                "return double or decimal by the argument's type",
            )
        if t.this in INTEGERS or t.this == T.DOUBLE:
            return self.typed(node, "double")
        if t.this == T.DECIMAL:
            if isinstance(node.parent, exp.Window):
                raise NotSupportedLocally(
                    "avg of a decimal over a window", "return a decimal of the argument's type"
                )
            p, s = _decimal_params(t)
            total = exp.Sum(this=node.this.copy())
            count = exp.Count(this=node.this.copy())
            macro = "lh_try_div_half_up" if self.in_try(node) else "lh_div_half_up"
            unit = str(Decimal(1).scaleb(-s)) if s else "1"
            return self.typed(
                tpl(
                    f"CAST(CAST({macro}(_n_, CAST(_d_ AS HUGEINT)) AS DECIMAL(38, 0)) * {unit} AS DECIMAL({p}, {s}))",
                    n=self._unscaled(total, s),
                    d=count,
                ),
                f"decimal({p},{s})",
            )
        raise NotSupportedLocally(f"avg of {trino_type_name(t)}", "return Trino's average type for it")

    def visit_round(self, node: exp.Round) -> exp.Expr | None:
        t = self.type_of(node.this)
        if t is None:
            raise NotSupportedLocally(
                f"round of `{node.this.sql(dialect='trino')}`, whose type is not known locally",
                "return a value of the argument's type",
            )
        if t.this == T.DECIMAL:
            p, s = _decimal_params(t)
            if node.args.get("decimals") is None:
                type_name = f"decimal({p - s + min(1, s)},0)"
            elif s == 0:
                raise NotSupportedLocally(
                    "round(decimal with scale 0, d)",
                    "return a decimal whose precision depends on the engine version",
                )
            else:
                type_name = f"decimal({min(38, p + 1)},{s})"
            cast = exp.Cast(this=node.copy(), to=dtype(type_name))
            return self.typed(cast, type_name)
        if t.this in INTEGERS or t.this in FLOATS:
            name = _named_type(t)
            return self.typed(exp.Cast(this=node.copy(), to=dtype(name)), name)
        return None

    # approximate aggregates: computed exactly, and said so ----------------------------------------------
    def visit_approxdistinct(self, node: exp.ApproxDistinct) -> exp.Expr:
        self.notes.append(
            "approx_distinct computed exactly locally (Athena's estimate has a standard error of 2.3%)"
        )
        return self.typed(exp.Count(this=exp.Distinct(expressions=[node.this.copy()])), "bigint")

    def visit_approxquantile(self, node: exp.ApproxQuantile) -> exp.Expr:
        if node.args.get("weight") is not None or node.args.get("accuracy") is not None:
            raise NotSupportedLocally(
                "approx_percentile with a weight or accuracy", "weigh the values in its estimate"
            )
        self.notes.append(
            "approx_percentile computed exactly locally (a value of the column at that rank; Athena's is an estimate)"
        )
        t = self.type_of(node.this)
        return self.typed(
            exp.Anonymous(this="quantile_disc", expressions=[node.this.copy(), node.args["quantile"].copy()]),
            t,
        )

    # dates and times --------------------------------------------------------------------------------
    def visit_datediff(self, node: exp.DateDiff) -> exp.Expr | None:
        for arg in (node.this, node.expression):
            if arg.meta.get(ZONE, SESSION_ZONE) != SESSION_ZONE:
                raise NotSupportedLocally(
                    "date_diff of a timestamp with time zone other than UTC", "count units in that zone"
                )
        return self.typed(node, "bigint")

    def _date_result(self, node: exp.Expr, base: exp.Expr, unit: str) -> exp.Expr:
        t = self.type_of(base)
        if t is None:
            raise NotSupportedLocally(
                f"date arithmetic on `{base.sql(dialect='trino')}`, whose type is not known locally",
                "return a value of the argument's type",
            )
        if t.this == T.DATE:
            if unit not in DATE_UNITS:
                raise QueryError(f"'{unit.lower()}' is not a valid DATE field")
            return self.typed(exp.Cast(this=node.copy(), to=dtype("date")), "date")
        if t.this in TIMESTAMPS:
            return self.typed(exp.Cast(this=node.copy(), to=dtype("timestamp")), "timestamp")
        if t.this in TZ_TIMESTAMPS and base.meta.get(ZONE, SESSION_ZONE) == SESSION_ZONE:
            return self.typed(node, "timestamp with time zone")  # UTC: the session zone's calendar
        raise NotSupportedLocally(
            f"date arithmetic on {trino_type_name(t)} in a zone other than UTC",
            "use the calendar of that zone",
        )

    def visit_dateadd(self, node: exp.DateAdd) -> exp.Expr:
        return self._date_result(node, node.this, _unit(node))

    def _interval_unit(self, e: exp.Expr) -> str | None:
        if isinstance(e, exp.Interval):
            unit = e.args.get("unit")
            return _unit(e) if unit is not None else None
        return None

    def visit_add(self, node: exp.Add) -> exp.Expr | None:
        for base, other in ((node.left, node.right), (node.right, node.left)):
            unit = self._interval_unit(other)
            if unit:
                return self._date_result(node, base, unit)
        return self._decimal_arith(node)

    def visit_mul(self, node: exp.Mul) -> exp.Expr | None:
        return self._decimal_arith(node)

    def _decimal_arith(self, node: exp.Binary) -> exp.Expr | None:
        """Decimal +, -, *: DuckDB's value, Trino's result type (functions/decimal.md)."""
        t = self._arith_type(node)
        if t is not None and t.this == T.DECIMAL:
            name = _named_type(t)
            return self.typed(exp.Cast(this=node.copy(), to=dtype(name)), name)
        return None

    def visit_sub(self, node: exp.Sub) -> exp.Expr | None:
        unit = self._interval_unit(node.right)
        if unit:
            return self._date_result(node, node.left, unit)
        lt, rt = self.type_of(node.left), self.type_of(node.right)
        if _is(lt, TIMESTAMPS | {T.DATE}) or _is(rt, TIMESTAMPS | {T.DATE}):
            raise NotSupportedLocally("subtracting dates or timestamps", "return an interval day to second")
        return self._decimal_arith(node)

    def visit_timestamptrunc(self, node: exp.Expr) -> exp.Expr:
        t = self.type_of(node.this)
        if t is None:
            raise NotSupportedLocally(
                f"date_trunc of `{node.this.sql(dialect='trino')}`, whose type is not known locally",
                "return a value of the argument's type",
            )
        if node.this.meta.get(ZONE, SESSION_ZONE) != SESSION_ZONE:
            raise NotSupportedLocally(
                "date_trunc of a timestamp with time zone other than UTC", "truncate in that zone"
            )
        name = "date" if t.this == T.DATE else "timestamp" if t.this in TIMESTAMPS else None
        if name is None:
            return node
        return self.typed(exp.Cast(this=node.copy(), to=dtype(name)), name)

    visit_datetrunc = visit_timestamptrunc

    def visit_extract(self, node: exp.Extract) -> exp.Expr:
        name = node.this.name.upper()
        if name not in EXTRACT_FIELDS:
            raise NotSupportedLocally(f"extract({name} FROM ...)", "return Trino's field")
        node.set("this", exp.var(EXTRACT_FIELDS[name]))
        return self.typed(node, "bigint")

    def visit_generateseries(self, node: exp.GenerateSeries) -> exp.Expr:
        # start and end are required arguments of GenerateSeries: args.get() is typed looser than that
        start = cast(exp.Expr, node.args.get("start"))
        end = cast(exp.Expr, node.args.get("end"))
        step = node.args.get("step")
        t, _ = self.known_types(start, end, what="sequence")
        if t.this in INTEGERS:
            args = [start, end] + ([step] if step else [])
            series: exp.Expr = exp.Anonymous(this="generate_series", expressions=[a.copy() for a in args])
            return self.typed(tpl("lh_sequence_check(_s_)", s=series), "array(bigint)")
        if t.this == T.DATE:
            step = step or tpl("INTERVAL 1 DAY")
            series = tpl(
                "list_transform(generate_series(CAST(_a_ AS TIMESTAMP), CAST(_b_ AS TIMESTAMP), _c_), "
                "x -> CAST(x AS DATE))",
                a=start,
                b=end,
                c=step,
            )
            return self.typed(tpl("lh_sequence_check(_s_)", s=series), "array(date)")
        raise NotSupportedLocally(f"sequence of {trino_type_name(t)}", "step through that type")

    def visit_unixtotime(self, node: exp.UnixToTime) -> exp.Expr:
        if node.args.get("zone") is not None or node.args.get("hours") is not None:
            raise NotSupportedLocally("from_unixtime with a time zone", "return a timestamp with that zone")
        return self.typed(node, "timestamp with time zone")

    def visit_currenttimestamp(self, node: exp.Expr) -> exp.Expr:
        return self.typed(node, "timestamp with time zone")

    def visit_attimezone(self, node: exp.AtTimeZone) -> exp.Expr:
        return self._at_zone(node, node.this, node.args.get("zone"))

    def _at_zone(self, node, value: exp.Expr, zone: exp.Expr | None) -> exp.Expr:
        if not isinstance(zone, exp.Literal) or not zone.is_string:
            raise NotSupportedLocally(
                "AT TIME ZONE with a zone that is not a literal", "convert to each row's zone"
            )
        t = self.type_of(value)
        if _is(t, TIMESTAMPS):
            # a plain timestamp is read in the session zone (UTC) and shown in the given zone
            instant: exp.Expr = exp.Anonymous(
                this="timezone", expressions=[exp.Literal.string(SESSION_ZONE), value.copy()]
            )
        elif _is(t, TZ_TIMESTAMPS):
            instant = value.copy()
        else:
            raise NotSupportedLocally(
                f"AT TIME ZONE on `{value.sql(dialect='trino')}` of type {trino_type_name(t) or 'unknown here'}",
                "convert a timestamp",
            )
        instant.meta[ZONE] = zone.name
        return self.typed(instant, "timestamp with time zone")

    def visit_anonymous(self, node: exp.Anonymous) -> exp.Expr | None:
        name = node.name.lower()
        args = node.expressions
        if name not in HANDLED_ANONYMOUS:
            raise NotSupportedLocally(
                f"function {name}()", f"run Trino's {name}(), which has no checked local equivalent"
            )
        if name == "at_timezone":
            return self._at_zone(node, args[0], args[1])
        if name == "format_datetime":
            value, fmt = args
            if not (isinstance(fmt, exp.Literal) and fmt.is_string):
                raise NotSupportedLocally(
                    "format_datetime with a format that is not a literal", "format with each row's pattern"
                )
            return self.typed(
                exp.Anonymous(
                    this="strftime",
                    expressions=[self._wall_clock(value), exp.Literal.string(joda_to_strftime(fmt.name))],
                ),
                "varchar",
            )
        if name == "map_agg":
            kt, vt = self.type_of(args[0]), self.type_of(args[1])
            agg = tpl("lh_map_agg(_k_, _v_)", k=args[0], v=args[1])
            if kt is not None and vt is not None:
                self.typed(agg, exp.DataType.build(exp.DType.MAP, expressions=[kt, vt]))
            return agg
        if name in ("any_match", "all_match", "none_match"):
            arr, fn = args
            r = exp.Anonymous(this="list_transform", expressions=[arr.copy(), fn.copy()])
            body = {
                "any_match": "CASE WHEN _a_ IS NULL THEN NULL WHEN list_bool_or(_r_) THEN true "
                "WHEN list_count(_r_) < len(_a_) THEN NULL ELSE false END",
                "all_match": "CASE WHEN _a_ IS NULL THEN NULL WHEN list_contains(_r_, false) THEN false "
                "WHEN list_count(_r_) < len(_a_) THEN NULL ELSE true END",
                "none_match": "CASE WHEN _a_ IS NULL THEN NULL WHEN list_bool_or(_r_) THEN false "
                "WHEN list_count(_r_) < len(_a_) THEN NULL ELSE true END",
            }[name]
            return self.typed(tpl(body, a=arr, r=r), "boolean")
        if name in ("url_extract_host", "url_extract_path"):
            return self.typed(tpl(f"lh_{name}(_u_)", u=args[0]), "varchar")
        if name == "json_array_length":
            return self.typed(tpl("lh_json_array_length(_j_)", j=args[0]), "bigint")
        return None

    def _wall_clock(self, value: exp.Expr) -> exp.Expr:
        """A timestamp with time zone as the wall-clock timestamp of its zone; other values unchanged."""
        zone = value.meta.get(ZONE)
        t = self.type_of(value)
        if _is(t, TZ_TIMESTAMPS):
            wall = exp.Anonymous(
                this="timezone", expressions=[exp.Literal.string(zone or SESSION_ZONE), value.copy()]
            )
            return self.typed(wall, "timestamp")
        return value

    def visit_timetostr(self, node: exp.TimeToStr) -> exp.Expr:
        _check_mysql_format(node.args.get("format"), "date_format")
        node.set("this", self._wall_clock(node.this))
        return self.typed(node, "varchar")

    def visit_strtotime(self, node: exp.StrToTime) -> exp.Expr:
        _check_mysql_format(node.args.get("format"), "date_parse")
        return self.typed(node, "timestamp")

    def visit_parsedatetime(self, node: exp.Expr) -> exp.Expr:
        raise NotSupportedLocally(
            "parse_datetime", "parse a Joda-Time pattern into a timestamp with time zone"
        )

    # casts ------------------------------------------------------------------------------------------
    def visit_cast(self, node: exp.Cast) -> exp.Expr | None:
        value, to = node.this, node.to
        t = self.type_of(value)
        safe = isinstance(node, exp.TryCast) or self.in_try(node)
        if to.this in TEXT:
            if value.meta.get(ZONE) or _is(t, TZ_TIMESTAMPS):
                zone = value.meta.get(ZONE, SESSION_ZONE)
                text = tpl(
                    "strftime(_w_, '%Y-%m-%d %H:%M:%S.%g') || ' ' || _z_",
                    w=self._wall_clock(value),
                    z=exp.Literal.string(zone),
                )
                return self.typed(text, "varchar")
            if _is(t, TIMESTAMPS):
                return self.typed(tpl("strftime(_v_, '%Y-%m-%d %H:%M:%S.%g')", v=value), "varchar")
            if _is(t, FLOATS):
                raise NotSupportedLocally(
                    "CAST of a double or real to varchar", "print it in scientific notation, e.g. 1.5E0"
                )
            if t is None and not isinstance(value, exp.Null):
                raise NotSupportedLocally(
                    f"CAST of `{value.sql(dialect='trino')}` to varchar, whose type is not known locally",
                    "format it by its type",
                )
        if to.this in INTEGERS and _is(t, FLOATS):
            # Trino rounds half away from zero (MathFunctions.round); DuckDB's cast rounds half to even
            node.set("this", exp.Round(this=value.copy()))
        if to.this in INTEGERS and _is(t, TEXT):
            check = tpl("lh_try_int_text(_s_)" if safe else "lh_check_int_text(_s_)", s=value)
            node.set("this", check)
        if to.this in TEXT and to.expressions:
            if not _is(t, TEXT):
                raise NotSupportedLocally(
                    f"CAST of {trino_type_name(t) or 'a value'} to {to.sql(dialect='trino').lower()}",
                    "fail when the text does not fit the length",
                )
            n = int(to.expressions[0].name)
            out = exp.Anonymous(this="left", expressions=[value.copy(), exp.Literal.number(n)])
            return self.typed(out, "varchar")
        if to.this in (T.DATE, *TIMESTAMPS) and _is(t, TEXT):
            kind = "date" if to.this == T.DATE else "timestamp"
            if isinstance(value, exp.Literal):
                if not re.fullmatch(DATE_TEXT if kind == "date" else TIMESTAMP_TEXT, value.name):
                    raise NotSupportedLocally(
                        f"{kind} text {value.name!r}", f"parse it with Trino's {kind} rules or fail"
                    )
            else:
                check_fn = "lh_check_date_text" if kind == "date" else "lh_check_timestamp_text"
                node.set("this", tpl(f"{check_fn}(_s_)", s=value))
        if to.this in (T.DATE, *TIMESTAMPS) and _is(t, TZ_TIMESTAMPS):
            node.set("this", self._wall_clock(value))
        if to.this in TIMESTAMPS:
            to = dtype("timestamp")
        return self.typed(node, to)

    visit_trycast = visit_cast

    def visit_date(self, node: exp.Date) -> exp.Expr:
        node.set("this", self._wall_clock(node.this))
        return self.typed(node, "date")

    # strings, regex, JSON -----------------------------------------------------------------------------
    def visit_splitpart(self, node: exp.SplitPart) -> exp.Expr:
        macro = "lh_try_split_part" if self.in_try(node) else "lh_split_part"
        return self.typed(
            tpl(f"{macro}(_s_, _d_, _i_)", s=node.this, d=node.args["delimiter"], i=node.args["part_index"]),
            "varchar",
        )

    def visit_regexpextract(self, node: exp.RegexpExtract) -> exp.Expr:
        pattern, group = node.expression, node.args.get("group")
        if not (isinstance(pattern, exp.Literal) and pattern.is_string):
            raise NotSupportedLocally(
                "regexp_extract with a pattern that is not a literal", "apply each row's pattern"
            )
        # a group inside an alternative or an optional part may not take part in the match:
        # Trino returns NULL for it, DuckDB '' (which cannot be told apart from an empty match)
        group_taken = group is not None and not (isinstance(group, exp.Literal) and group.name == "0")
        if group_taken and re.search(r"[|?*]|\{0", pattern.name):
            raise NotSupportedLocally(
                "regexp_extract of a group in a pattern with |, ?, * or {0,",
                "return NULL when that group takes no part in the match",
            )
        group = group or exp.Literal.number(0)
        return self.typed(tpl("lh_regexp_extract(_s_, _p_, _g_)", s=node.this, p=pattern, g=group), "varchar")

    def visit_regexpreplace(self, node: exp.RegexpReplace) -> exp.Expr:
        replacement = node.args.get("replacement")
        if replacement is None:
            replacement = exp.Literal.string("")
        if not (isinstance(replacement, exp.Literal) and replacement.is_string):
            raise NotSupportedLocally(
                "regexp_replace with a replacement that is not a literal",
                "expand $n group references per row",
            )
        out = exp.Anonymous(
            this="regexp_replace",
            expressions=[
                node.this.copy(),
                node.expression.copy(),
                exp.Literal.string(trino_replacement_to_re2(replacement.name)),
                exp.Literal.string("g"),
            ],
        )
        return self.typed(out, "varchar")

    def visit_jsonextractscalar(self, node: exp.JSONExtractScalar) -> exp.Expr:
        return self.typed(
            tpl("lh_json_extract_scalar(_j_, _p_)", j=node.this, p=self._json_path(node.expression)),
            "varchar",
        )

    def visit_jsonextract(self, node: exp.JSONExtract) -> exp.Expr:
        return self.typed(
            tpl("lh_json_extract(_j_, _p_)", j=node.this, p=self._json_path(node.expression)), "json"
        )

    def _json_path(self, path: exp.Expr) -> exp.Expr:
        """A JSON path of keys and array indexes as DuckDB's path text; anything else is refused."""
        if not isinstance(path, exp.JSONPath):
            raise NotSupportedLocally("a JSON path that is not a literal", "evaluate each row's path")
        text = "$"
        for part in path.expressions:
            if isinstance(part, exp.JSONPathRoot):
                continue
            if isinstance(part, exp.JSONPathKey) and isinstance(part.this, str):
                key = part.this
                text += f".{key}" if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) else '."' + key + '"'
            elif isinstance(part, exp.JSONPathSubscript) and isinstance(part.this, int):
                text += f"[{part.this}]"
            else:
                shown = path.meta.get("source") or type(part).__name__.removeprefix("JSONPath").lower()
                raise NotSupportedLocally(
                    f"JSON path with a {shown} step",
                    "evaluate Trino's JSONPath (wildcards, slices, recursion)",
                )
        return exp.Literal.string(text)

    def visit_concat(self, node: exp.Concat) -> exp.Expr:
        types = [self.type_of(a) for a in node.expressions]
        if all(_is(t, {T.ARRAY, T.LIST}) for t in types):
            return self.typed(node, types[0])
        for arg, t in zip(node.expressions, types, strict=True):
            if t is not None and t.this not in TEXT and not isinstance(arg, exp.Null):
                raise QueryError(
                    f"Unexpected parameters ({trino_type_name(t)}) for function concat "
                    "(Athena fails: concat joins strings or arrays)"
                )
        return self.typed(node, "varchar")

    def visit_dpipe(self, node: exp.DPipe) -> exp.Expr:
        for side in (node.left, node.right):
            t = self.type_of(side)
            if t is not None and t.this not in TEXT and not isinstance(side, exp.Null):
                raise QueryError(
                    f"Cannot apply operator: varchar || {trino_type_name(t)} (Athena fails: || joins strings only)"
                )
        return self.typed(node, "varchar")

    # maps and arrays ----------------------------------------------------------------------------------
    def visit_bracket(self, node: exp.Bracket) -> exp.Expr | None:
        t = self.type_of(node.this)
        if len(node.expressions) != 1:
            return None
        key = node.expressions[0]
        if node.args.get("safe"):  # element_at(): NULL for an absent key or an index out of range
            if _is(t, {T.ARRAY, T.LIST}) and t.expressions:
                return self.typed(node, t.expressions[0])
            if _is(t, {T.MAP}) and len(t.expressions) == 2:
                return self.typed(node, t.expressions[1])
            if t is None:
                raise NotSupportedLocally(
                    f"element_at on `{node.this.sql(dialect='trino')}`, whose type is not known locally",
                    "index an array or look up a map key",
                )
            return node
        if _is(t, {T.MAP}):
            if self.in_try(node):
                out: exp.Expr = exp.Bracket(this=node.this.copy(), expressions=[key.copy()], offset=1)
            else:
                out = tpl("lh_map_get(_m_, _k_)", m=node.this, k=key)
            return self.typed(out, t.expressions[1] if len(t.expressions) == 2 else None)
        if _is(t, {T.ARRAY, T.LIST}):
            macro = "lh_try_array_get" if self.in_try(node) else "lh_array_get"
            return self.typed(
                tpl(f"{macro}(_a_, _i_)", a=node.this, i=key), t.expressions[0] if t.expressions else None
            )
        raise NotSupportedLocally(
            f"subscript on `{node.this.sql(dialect='trino')}`, whose type is not known locally",
            "fail on a missing map key or an index out of range",
        )

    def visit_arraysize(self, node: exp.ArraySize) -> exp.Expr:
        t = self.type_of(node.this)
        if _is(t, {T.MAP}):
            return self.typed(tpl("CAST(cardinality(_m_) AS BIGINT)", m=node.this), "bigint")
        if _is(t, {T.ARRAY, T.LIST}):
            return self.typed(tpl("CAST(len(_a_) AS BIGINT)", a=node.this), "bigint")
        raise NotSupportedLocally(
            f"cardinality of `{node.this.sql(dialect='trino')}`, whose type is not known locally",
            "count array elements or map entries",
        )

    def visit_unnest(self, node: exp.Unnest) -> exp.Expr | None:
        if node.args.get("offset"):
            raise NotSupportedLocally("UNNEST ... WITH ORDINALITY", "number the elements")
        if len(node.expressions) != 1:
            raise NotSupportedLocally("UNNEST of several arrays", "zip them, padding with NULLs")
        value = node.expressions[0]
        t = self.type_of(value)
        alias = node.args.get("alias")
        if _is(t, {T.MAP}):
            columns = [c.name for c in alias.columns] if alias is not None else []
            if alias is None or len(columns) != 2:
                raise NotSupportedLocally(
                    "UNNEST of a map without two column names", "name the key and value columns"
                )
            select = exp.select(
                exp.alias_(exp.Unnest(expressions=[exp.func("map_keys", value.copy())]), columns[0]),
                exp.alias_(exp.Unnest(expressions=[exp.func("map_values", value.copy())]), columns[1]),
            )
            return exp.Subquery(this=select, alias=exp.TableAlias(this=exp.to_identifier(alias.name or "_u")))
        if t is None:
            raise NotSupportedLocally(
                f"UNNEST of `{value.sql(dialect='trino')}`, whose type is not known locally",
                "expand an array or a map",
            )
        return None

    # comparisons: Trino does not coerce a string literal to a date, timestamp or number -----------------
    def _no_string_coercion(self, op: str, left: exp.Expr, right: exp.Expr) -> None:
        for a, b in ((left, right), (right, left)):
            ta = self.type_of(a)
            not_text = {T.DATE, *TIMESTAMPS, *TZ_TIMESTAMPS, *INTEGERS, *FLOATS, T.DECIMAL, T.BOOLEAN}
            if isinstance(b, exp.Literal) and b.is_string and ta is not None and ta.this in not_text:
                raise QueryError(
                    f"Cannot apply operator: {trino_type_name(ta)} {op} varchar({len(b.name)}) "
                    f"(Athena fails too: write {_named_type(ta).split('(')[0].upper()} '{b.name}')"
                )

    def _compare(self, node: exp.Binary, op: str) -> exp.Expr:
        self._no_string_coercion(op, node.left, node.right)
        return self.typed(node, "boolean")

    def visit_eq(self, node):
        return self._compare(node, "=")

    def visit_neq(self, node):
        return self._compare(node, "<>")

    def visit_lt(self, node):
        return self._compare(node, "<")

    def visit_lte(self, node):
        return self._compare(node, "<=")

    def visit_gt(self, node):
        return self._compare(node, ">")

    def visit_gte(self, node):
        return self._compare(node, ">=")

    def visit_between(self, node: exp.Between) -> exp.Expr:
        self._no_string_coercion("BETWEEN", node.this, node.args["low"])
        self._no_string_coercion("BETWEEN", node.this, node.args["high"])
        return self.typed(node, "boolean")

    def visit_in(self, node: exp.In) -> exp.Expr:
        for item in node.expressions:
            self._no_string_coercion("IN", node.this, item)
        return self.typed(node, "boolean")

    # misc -------------------------------------------------------------------------------------------
    def visit_typeof(self, node: exp.Typeof) -> exp.Expr:
        t = self.type_of(node.this)
        name = trino_type_name(t)
        if _is(t, TEXT):
            # a literal has its length (varchar(3)); a catalog `string` column is unbounded; the length
            # Trino derives for other text expressions is not tracked here
            if isinstance(node.this, exp.Literal):
                name = f"varchar({len(node.this.name)})"
            elif not isinstance(node.this, exp.Column):
                name = None
        if name is None:
            raise NotSupportedLocally(
                f"typeof(`{node.this.sql(dialect='trino')}`)",
                "name the Trino type, which is not known locally",
            )
        return self.typed(exp.Literal.string(name), "varchar")

    # time zones: where a value in a zone other than UTC flows ---------------------------------------------
    def _check_zones(self, tree: exp.Expr) -> None:
        for node in tree.walk():
            zone = node.meta.get(ZONE)
            if not zone or zone == SESSION_ZONE:
                continue
            parent = node.parent
            if parent is None or isinstance(parent, INSTANT_USERS):
                continue
            if isinstance(parent, exp.Anonymous) and parent.name.lower() == "timezone":
                continue  # already converted to the wall clock of its zone
            if isinstance(parent, WALL_CLOCK_READERS):
                node.replace(self._wall_clock(node))
                continue
            raise NotSupportedLocally(
                f"{type(parent).__name__.lower()} of a timestamp with time zone {zone}",
                "compute it in that zone",
            )


def _literal_type(lit: exp.Literal) -> exp.DataType | None:
    if lit.is_string:
        return dtype(f"varchar({len(lit.name)})")
    text = lit.name
    if re.search(r"[eE]", text):
        return dtype("double")
    if "." in text:
        whole, frac = text.split(".", 1)
        digits = len(whole.lstrip("0")) + len(frac)
        return dtype(f"decimal({max(digits, 1)},{len(frac)})")
    value = int(text)
    if -(2**31) <= value < 2**31:
        return dtype("integer")
    if -(2**63) <= value < 2**63:
        return dtype("bigint")
    return dtype(f"decimal({len(text)},0)")


# strftime codes sqlglot produces from the MySQL-style specifiers Trino's date_format/date_parse accept
# (%a %b %c %d %e %f %H %h %I %i %j %k %l %M %m %p %r %S %s %T %W %w %x %Y %y %%), each with the
# same meaning in DuckDB; Trino fails on the others (%D %U %u %V %X), %v has no DuckDB equal
MYSQL_FORMAT_CODES = {
    "%a", "%b", "%-m", "%d", "%-d", "%f", "%H", "%I", "%M", "%j", "%-H", "%-I", "%B", "%m", "%p",
    "%S", "%A", "%w", "%G", "%Y", "%y", "%%",
}  # fmt: skip


def _check_mysql_format(fmt: exp.Expr | None, function: str) -> None:
    if not (isinstance(fmt, exp.Literal) and fmt.is_string):
        raise NotSupportedLocally(
            f"{function} with a format that is not a literal", "apply each row's format"
        )
    for code in re.findall(r"%-?.", fmt.name):
        if code not in MYSQL_FORMAT_CODES:
            raise NotSupportedLocally(
                f"{function} format code {code!r} (as sqlglot maps it)", "apply MySQL's specifier or fail"
            )


def joda_to_strftime(pattern: str) -> str:
    """A Joda-Time pattern (Trino's format_datetime) as strftime; refuses letters without an exact match."""
    out, i = [], 0
    while i < len(pattern):
        c = pattern[i]
        if c == "'":
            end = pattern.find("'", i + 1)
            if end == -1:
                raise QueryError(f"format_datetime: unterminated quote in {pattern!r}")
            literal = pattern[i + 1 : end] or "'"
            out.append(literal.replace("%", "%%"))
            i = end + 1
            continue
        if c.isalpha():
            j = i
            while j < len(pattern) and pattern[j] == c:
                j += 1
            token = pattern[i:j]
            if token not in JODA:
                raise NotSupportedLocally(
                    f"format_datetime pattern letters {token!r}", "format them with Joda-Time"
                )
            out.append(JODA[token])
            i = j
            continue
        out.append("%%" if c == "%" else c)
        i += 1
    return "".join(out)


def trino_replacement_to_re2(text: str) -> str:
    """Trino's regexp_replace replacement ($1, \\$) as RE2's (\\1, $)."""
    out, i = [], 0
    while i < len(text):
        c = text[i]
        if c == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append("\\\\" if nxt == "\\" else nxt)
            i += 2
        elif c == "$":
            m = re.match(r"\$(\d+)", text[i:])
            if not m:
                raise NotSupportedLocally(
                    f"regexp_replace replacement {text!r}", "expand named group references"
                )
            if len(m.group(1)) > 1:
                raise NotSupportedLocally(
                    f"regexp_replace group reference ${m.group(1)}",
                    "pick the longest group number that exists",
                )
            out.append("\\" + m.group(1))
            i += len(m.group(0))
        elif c == "\\":
            raise QueryError(f"regexp_replace: replacement {text!r} ends with a lone backslash")
        else:
            out.append(c)
            i += 1
    return "".join(out)


# --------------------------------------------------------------------------------------------------


def _mark_unnamed(tree: exp.Expr) -> None:
    """Flag the outermost projections Trino names `_colN` (anything but a column or an alias)."""
    select = tree
    while isinstance(select, exp.SetOperation):
        select = select.left
    if isinstance(select, exp.Subquery):
        select = select.unnest()
    if not isinstance(select, exp.Select):
        return
    for p in select.expressions:
        if not isinstance(p, (exp.Alias, exp.Column, exp.Star)) and not (
            isinstance(p, exp.Dot) and isinstance(p.expression, exp.Identifier)
        ):
            p.meta[UNNAMED] = True


def _outer_select(tree: exp.Expr) -> exp.Select | None:
    select = tree
    while isinstance(select, exp.SetOperation):
        select = select.left
    return select if isinstance(select, exp.Select) else None


def _carry_unnamed(tree: exp.Expr) -> None:
    """After qualify every projection is an alias: move the flag onto it (rewrites replace the inside)."""
    select = _outer_select(tree)
    for p in select.expressions if select else []:
        if isinstance(p, exp.Alias) and p.this.meta.get(UNNAMED):
            p.meta[UNNAMED] = True


def _name_outputs(tree: exp.Expr) -> exp.Select | None:
    """Trino's `_colN` names; ORDER BY refers to a projection by its alias after qualify (`ORDER BY 1`
    became `ORDER BY _col_0`), so those references are renamed with it."""
    select = _outer_select(tree)
    for i, p in enumerate(select.expressions if select else []):
        if p.meta.get(UNNAMED) and isinstance(p, exp.Alias):
            old, new = p.alias, f"_col{i}"
            p.set("alias", exp.to_identifier(new))
            order = select.args.get("order") if select else None
            for col in order.find_all(exp.Column) if order else []:
                if not col.table and col.name == old:
                    col.set("this", exp.to_identifier(new))
    return select


def translate(tree: exp.Expr, schema: dict, default_db: str | None) -> Translation:
    """Rewrite a parsed Athena query for DuckDB (see the module docstring)."""
    tree = tree.copy()
    _check_tables(tree, schema, default_db)
    _mark_unnamed(tree)
    _decimal_literals_to_casts(tree)
    try:
        tree = qualify(
            tree,
            dialect=AthenaLocal,
            schema=schema,
            db=default_db,
            quote_identifiers=False,
            identify=False,
            validate_qualify_columns=True,
        )
    except OptimizeError as exc:
        raise QueryError(str(exc).splitlines()[0]) from None
    except SqlglotError as exc:
        raise QueryError(f"cannot analyse the query locally: {str(exc).splitlines()[0]}") from None
    _carry_unnamed(tree)
    tree = annotate_types(tree, schema=schema, dialect=AthenaLocal)
    semantics = TrinoSemantics()
    tree = semantics.rewrite(tree)
    select = _name_outputs(tree)
    zones = {}
    if select is not None:
        for i, p in enumerate(select.expressions):
            inner = p.this if isinstance(p, exp.Alias) else p
            zone = inner.meta.get(ZONE)
            if zone:
                zones[i] = zone
    return Translation(tree.sql(dialect=DuckDBLocal), zones, semantics.notes)


class UnknownTable(QueryError):
    """A table or view that is not in the local catalog."""

    def __init__(self, name: str):
        self.table = name
        super().__init__(f"Table {name} does not exist")


def _check_tables(tree: exp.Expr, schema, default_db: str | None) -> None:
    ctes = {cte.alias_or_name.lower() for cte in tree.find_all(exp.CTE)}
    for table in tree.find_all(exp.Table):
        if (
            not table.name
            or isinstance(table.this, exp.Func)
            or (not table.db and table.name.lower() in ctes)
        ):
            continue
        db = table.db or default_db
        if (db or "").lower() == "information_schema":
            raise NotSupportedLocally(
                f"information_schema.{table.name}", "list the Glue catalog (locally: SHOW TABLES, DESCRIBE)"
            )
        found = schema.find(exp.table_(table.name, db=db), raise_on_missing=False) if db else None
        if found is None:
            raise UnknownTable(f"{db}.{table.name}" if db else table.name)


def _decimal_literals_to_casts(tree: exp.Expr) -> None:
    """Trino types `2.5` as DECIMAL(2,1); sqlglot's annotator says DOUBLE: make the type explicit."""
    for lit in list(tree.find_all(exp.Literal)):
        if lit.is_string or isinstance(lit.parent, (exp.DataTypeParam, exp.Interval, exp.Cast)):
            continue
        t = _literal_type(lit)
        if t is not None and t.this == T.DECIMAL:
            cast = exp.Cast(this=lit.copy(), to=t)
            lit.replace(cast)
