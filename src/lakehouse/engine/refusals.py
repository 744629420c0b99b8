"""What the local Athena refuses: `NotSupportedLocally`, and the lists that decide it.

The one line a refused query fails with is `NotSupportedLocally`'s message. The lists say which sqlglot
nodes pass through unchanged (`SAME_IN_DUCKDB`, each checked to give Trino's value and type in
DuckDB), which functions sqlglot does not know are translated (`HANDLED_ANONYMOUS`), where a timestamp
in a zone other than UTC may flow (`WALL_CLOCK_READERS`, `INSTANT_USERS`) and which macros can stop a
query at run time, and so cannot run inside TRY (`RAISES_AT_RUN_TIME`). A function on neither of the
first two lists and without a `visit_*` method is refused by `TrinoSemantics`
(`lakehouse.engine.semantics`); kept together, the lists are the one place that says what the local
engine takes as it is.
"""

from __future__ import annotations

from sqlglot import exp

from lakehouse.errors import QueryError


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


# Functions sqlglot does not know (exp.Anonymous) that TrinoSemantics.visit_anonymous translates; any
# other is refused.
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
# ones with a visit_* method in the semantics_* modules are rewritten instead). Any other function is
# refused.
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
