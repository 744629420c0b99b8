"""Raw -> silver as pure DataFrame functions: lines -> records -> typed and validated -> deduplicated.

Every input line ends either in silver or in quarantine with its reasons; nothing is dropped. All
schemas come from the contract (no inference). The stage in `lakehouse.jobs.stages` chains these.
At ~410 lines it is just over the project's 400: the steps share the record and code columns, and
splitting them would scatter one pipeline's column names over several files.
"""

from __future__ import annotations

import functools
import operator

from pyspark.sql import Column, DataFrame, Window
from pyspark.sql import functions as F

from lakehouse.contract import quality as q
from lakehouse.contract.dataset import (
    EPOCH_FORMATS,
    EPOCH_RANGE_SECONDS,
    Contract,
    QualityRule,
    relative_time,
)
from lakehouse.contract.dataset import Column as ContractColumn
from lakehouse.contract.tables import EXTRA_FIELDS, LINEAGE_COLUMNS, RAW_COMPLEX

# reasons are codes (lakehouse.contract.quality): rule:column:kind, never the offending value
MALFORMED = str(q.parse_code(q.MALFORMED_JSON))
NOT_UTF8 = str(q.parse_code(q.NOT_DECODABLE))
UNREADABLE = str(q.parse_code(q.UNREADABLE_FILE))
_REPLACEMENT = "\ufffd"  # what undecodable bytes become when text is read as UTF-8


def _q(name: str) -> str:
    return f"`{name}`"


def silver_ddl(contract: Contract, with_partitions: bool = False) -> str:
    cols = [f"{_q(n)} {t}" for n, t in contract.silver_columns] + [f"{n} {t}" for n, t in LINEAGE_COLUMNS]
    if with_partitions:
        cols += [f"{_q(p.name)} {p.type}" for p in contract.silver_partitions]
    return ", ".join(cols)


_BLANK = " \t\n\r\f\u000b"  # what Java's \\s matches: a line of only these is not a record


def _cleaned(record: Column) -> Column:
    """A line without its CR line end and UTF-8 BOM. Column functions only (no regular expression runs
    per line)."""
    no_cr = F.when(record.endswith("\r"), record.substr(F.lit(1), F.length(record) - 1)).otherwise(record)
    return F.when(no_cr.startswith("\ufeff"), F.substring(no_cr, 2, 1 << 30)).otherwise(no_cr)


def _blank(record: Column) -> Column:
    return F.call_function("btrim", record, F.lit(_BLANK)) == ""


def read_lines(df_text: DataFrame, source_file: Column) -> DataFrame:
    """Whole-file text rows -> one row per non-blank line: _source_file, _source_line (1-based), _record.

    Takes the output of `spark.read.text(paths, wholetext=True)` (small and compressed files; large
    ones: `read_blocks`); strips a UTF-8 BOM and CR line ends.
    """
    exploded = df_text.select(
        source_file.alias("_source_file"),
        F.posexplode(F.split(F.col("value"), "\n")).alias("_pos", "_record"),
    )
    return exploded.select(
        "_source_file",
        (F.col("_pos") + 1).cast("bigint").alias("_source_line"),
        _cleaned(F.col("_record")).alias("_record"),
    ).where(~_blank(F.col("_record")))  # blank lines are not records


BLOCK = "_block"  # where a line's block of its file starts (bytes); -1 for a file read whole


def read_blocks(df_lines: DataFrame, source_file: Column) -> DataFrame:
    """Line rows of `spark.read.option("lineSep", "\\n").text(paths)` -> _source_file, _block,
    _source_line, _record, blank lines included.

    Spark reads a large file in blocks, on every core, and never holds a whole file in one value (as
    `read_lines` must, up to 2 GB). A line's number is not known while its block is read, so
    `_source_line` is first an ordinal that increases line by line within each block;
    `number_lines` makes it the line number once the blocks' line counts are known. Blank lines are
    kept until then, so that they are counted.
    """
    return df_lines.select(
        source_file.alias("_source_file"),
        F.col("_metadata.file_block_start").alias(BLOCK),
        F.monotonically_increasing_id().alias("_source_line"),  # before any filter: one per line read
        # the reader keeps a line's bytes as they are; decoded, undecodable ones become U+FFFD (as when
        # a whole file is read), which parse_json_records reports
        _cleaned(F.decode(F.col("value").cast("binary"), "UTF-8")).alias("_record"),
    )


def number_lines(records: DataFrame) -> DataFrame:
    """Records from `read_blocks` (carried through parsing) with 1-based line numbers and no blank lines.

    One aggregation of (file, block) -> first ordinal and lines; on the driver, each block's offset is
    the lines of the file's earlier blocks. Rows of files read whole (`_block` -1) keep their numbers.
    Runs a Spark job: call it on cached records.
    """
    blocks = (
        records.where(F.col(BLOCK) >= 0)
        .groupBy("_source_file", BLOCK)
        .agg(F.min("_source_line").alias("first"), F.count(F.lit(1)).alias("lines"))
        .collect()
    )
    offsets: list[tuple[str, int, int]] = []
    before: dict[str, int] = {}  # lines of the file's blocks so far
    for file, block, first, lines in sorted(blocks, key=lambda r: (r[0], r[1])):
        offsets.append((file, block, before.get(file, 0) + 1 - first))
        before[file] = before.get(file, 0) + lines
    table = records.sparkSession.createDataFrame(
        offsets, "_source_file string, _block bigint, _offset bigint"
    )
    numbered = records.join(F.broadcast(table), ["_source_file", BLOCK], "left")
    line = F.when(F.col(BLOCK) >= 0, F.col("_source_line") + F.col("_offset")).otherwise(
        F.col("_source_line")
    )
    blank = F.col("_record").isNotNull() & _blank(F.col("_record"))
    return numbered.where(~blank).select(
        *[line.alias(c) if c == "_source_line" else F.col(c) for c in records.columns if c != BLOCK]
    )


def parse_json_records(lines: DataFrame, contract: Contract) -> DataFrame:
    """JSON lines -> one string-typed column per contract column, plus `_parse_error`, keeping lineage.

    Each line is parsed once, into a map of its top-level fields (a value that is itself an object or
    array stays JSON text, a number its text); a line that is not a JSON object parses to null.
    Declared scalars are read from the map, declared complex columns are parsed from their own text
    (small), undeclared fields are the rest of the map. `_parse_error` says why a line is not a record
    at all (not JSON, not an object, undecodable bytes); a record whose complex field has the wrong
    JSON type keeps its other fields and gets a reason naming the field in `validate`.
    """
    fields = F.col("_fields")
    df = lines.withColumn("_fields", F.from_json(F.col("_record"), "map<string,string>"))
    not_object = fields.isNull()
    error = F.when(F.instr(F.col("_record"), _REPLACEMENT) > 0, F.lit(NOT_UTF8)).when(
        not_object, F.lit(MALFORMED)
    )
    # fields the contract does not declare yet: kept as text so schema drift loses nothing
    declared = ", ".join(f"'{c.name}'" for c in contract.columns)
    # (the filter is a lambda, evaluated per entry: only lines that carry more fields than they declare run it)
    declared_present = sum(
        (F.map_contains_key(fields, c.name).cast("int") for c in contract.columns), F.lit(0)
    )
    extra = F.when(
        F.size(fields) > declared_present,
        F.expr(f"map_filter(_fields, (k, v) -> NOT array_contains(array({declared}), k))"),
    ).when(fields.isNotNull(), F.create_map().cast("map<string,string>"))
    values, present = [], []
    for c in contract.columns:
        raw = fields.getItem(c.name)
        if c.type.startswith(
            "struct<"
        ):  # from_json makes a struct of nulls of any text; only an object is one
            values.append(F.when(F.ltrim(raw).startswith("{"), F.from_json(raw, c.type)).alias(c.name))
            present.append(raw.isNotNull().alias(f"_has_{c.name}"))
        elif c.type.startswith(RAW_COMPLEX):
            values.append(F.from_json(raw, c.type).alias(c.name))
            present.append(raw.isNotNull().alias(f"_has_{c.name}"))
        else:
            values.append(raw.alias(c.name))
    return df.select(
        "_source_file",
        "_source_line",
        "_record",
        *([BLOCK] if BLOCK in lines.columns else []),
        error.alias("_parse_error"),
        *values,
        extra.alias(EXTRA_FIELDS),
        *present,
    )


def _epoch(name: str, fmt: str) -> Column:
    """A number since 1970-01-01 UTC (`1433221332117`) as a timestamp; null if not a whole number in
    EPOCH_RANGE_SECONDS (ingest's placement and `lakehouse check` read it the same way)."""
    number = F.expr(f"try_cast(trim({_q(name)}) AS bigint)")
    per_second = 1000 if fmt == "epoch_millis" else 1
    low, high = (bound * per_second for bound in EPOCH_RANGE_SECONDS)
    convert = F.timestamp_millis if fmt == "epoch_millis" else F.timestamp_seconds
    return F.when((number >= low) & (number < high), convert(number))


def _typed(c: ContractColumn) -> Column:
    """Spark expression converting the raw string of a column to its contract type (null if it cannot)."""
    raw = F.col(_q(c.name))
    if c.type.startswith(RAW_COMPLEX) or c.type == "string":
        return raw
    if c.type in ("timestamp", "date"):
        # formats are bound as literals, never pasted into SQL: `yyyy-MM-dd'T'HH:mm:ss` keeps its quotes
        attempts = [
            _epoch(c.name, fmt) if fmt in EPOCH_FORMATS else F.try_to_timestamp(raw, F.lit(fmt))
            for fmt in c.formats
        ]
        parsed = F.coalesce(*attempts) if attempts else F.try_to_timestamp(raw)
        return parsed if c.type == "timestamp" else F.to_date(parsed)
    if c.type == "boolean":
        return F.when(F.lower(F.trim(raw)).isin("true", "1", "yes", "y", "t"), F.lit(True)).when(
            F.lower(F.trim(raw)).isin("false", "0", "no", "n", "f"), F.lit(False)
        )
    return F.expr(f"try_cast(trim({_q(c.name)}) AS {c.type})")


def _literal(value, glue_type: str) -> Column:
    """A rule bound as a Spark value; for time columns `now`, `now+1 day`, `now-2 hours` are relative
    (lakehouse.contract.dataset.relative_time, the one parser of that form)."""
    relative = relative_time(value) if glue_type in ("timestamp", "date") else None
    if relative:
        sign, amount, unit = relative
        shift = f" {sign} INTERVAL {amount} {unit.upper()}S" if amount else ""
        return F.expr(f"current_timestamp(){shift}").cast(glue_type)
    # a value, never SQL text (lakehouse.contract.dataset.bound_problem checked it fits the column's type)
    if glue_type == "timestamp":
        return F.try_to_timestamp(F.lit(str(value)))
    return F.lit(str(value)).cast(glue_type)


def _rule_fails(rule: QualityRule, col: Column, glue_type: str) -> Column:
    if rule.check == "accepted_values":
        return col.isNotNull() & ~col.isin(*rule.values)
    if rule.check == "regex":
        return col.isNotNull() & ~col.rlike(rule.pattern or "")
    below = col < _literal(rule.min, glue_type) if rule.min is not None else F.lit(False)
    above = col > _literal(rule.max, glue_type) if rule.max is not None else F.lit(False)
    return col.isNotNull() & (below | above)


def rule_message(rule: QualityRule) -> str:
    """The code a failed rule puts in `_reasons` (or `_warnings`)."""
    return str(q.rule_code(rule))


def _compact(candidates: list[Column]) -> Column:
    """The non-null values of `candidates` as an array. Most records have none: they skip the per-element
    lambda array_compact runs."""
    empty = F.array().cast("array<string>")
    if not candidates:
        return empty
    return F.when(F.coalesce(*candidates).isNull(), empty).otherwise(F.array_compact(F.array(*candidates)))


def validate(records: DataFrame, contract: Contract) -> DataFrame:
    """Type every column and collect why a record cannot go to silver.

    Adds `_reasons` (empty for good records) and `_warnings` (failed `warn` rules), both as quality
    codes (lakehouse.contract.quality); the contract columns come out typed.
    """
    reasons: list[Column] = []
    typed = {c.name: _typed(c) for c in contract.columns}
    for c in contract.columns:
        raw = F.col(_q(c.name))
        missing = raw.isNull() | (F.trim(raw.cast("string")) == "") if c.type == "string" else raw.isNull()
        if c.type.startswith(RAW_COMPLEX) and f"_has_{c.name}" in records.columns:
            # present in the JSON but not of the declared shape (e.g. a string where a map belongs)
            missing = ~F.col(f"_has_{c.name}")
            reasons.append(
                F.when(
                    F.col(f"_has_{c.name}") & raw.isNull(),
                    F.lit(str(q.type_code(c.name, q.WRONG_JSON_TYPE))),
                )
            )
        if c.required:
            reasons.append(F.when(missing, F.lit(str(q.required_code(c.name)))))
        if not (c.type.startswith(RAW_COMPLEX) or c.type == "string"):
            reasons.append(F.when(~missing & typed[c.name].isNull(), F.lit(str(q.type_code(c.name)))))
    warnings: list[Column] = []
    for rule in contract.quality:
        if rule.check == "expression":
            continue  # evaluated below, on the typed values
        col_type = contract.column(rule.column).type
        fails = _rule_fails(rule, typed[rule.column], col_type)
        if rule.action == "quarantine":
            reasons.append(F.when(fails, F.lit(rule_message(rule))))
        else:
            warnings.append(F.when(fails, F.lit(rule_message(rule))))
    reason_list = F.when(F.col("_parse_error").isNotNull(), F.array(F.col("_parse_error"))).otherwise(
        _compact(reasons)
    )
    warning_list = _compact(warnings)
    checked = records.select(
        "_source_file",
        "_source_line",
        "_record",
        *([BLOCK] if BLOCK in records.columns else []),
        *[typed[c.name].alias(c.name) for c in contract.columns],
        F.col(EXTRA_FIELDS),
        reason_list.alias("_reasons"),
        F.when(F.col("_parse_error").isNotNull(), F.array().cast("array<string>"))
        .otherwise(warning_list)
        .alias("_warnings"),
        F.col("_parse_error").isNotNull().alias("_unparsed"),
    )
    # expression rules relate typed columns (e.g. a date and the export's own month); a record that
    # is already rejected for being unreadable is not judged by them
    for rule in (r for r in contract.quality if r.check == "expression"):
        fails = ~F.col("_unparsed") & ~F.coalesce(F.expr(rule.expr or "true"), F.lit(True))
        target = "_reasons" if rule.action == "quarantine" else "_warnings"
        label = rule_message(rule)
        checked = checked.withColumn(
            target, F.when(fails, F.concat(F.col(target), F.array(F.lit(label)))).otherwise(F.col(target))
        )
    return checked.drop("_unparsed")


def mark_duplicates(
    valid: DataFrame, contract: Contract, *tiebreak: Column, repeated: DataFrame | None = None
) -> DataFrame:
    """Add `_duplicate`: true for every record but the first per dedupe key.

    The first is the earliest by event time, then by source file and line (for a source without a time
    column: the last by source file and line, the latest delivery), so the choice is
    deterministic whatever order the files are read in, and an incremental run keeps the same record
    a full run keeps. `tiebreak` orders records that are the same source line (a replayed input).

    `repeated` (from `repeated_keys`): only the records of those keys are ordered (a window sorts
    whole rows; most keys occur once), the others are kept as they are. Same result either way.
    """
    if contract.event_time:
        order = [
            F.col(_q(contract.event_time)).asc_nulls_last(),
            F.col("_source_file"),
            F.col("_source_line"),
        ]
    else:  # no time column: the latest delivery (raw files sort by arrival) supersedes earlier ones
        order = [F.col("_source_file").desc(), F.col("_source_line").desc()]
    order += list(tiebreak)
    window = Window.partitionBy(*[F.col(_q(k)) for k in contract.dedupe_key]).orderBy(*order)
    first = F.row_number().over(window) > 1
    if repeated is None:
        return valid.withColumn("_duplicate", first)
    on = same_key(contract, REPEATED)
    once = valid.join(repeated, on, "left_anti").withColumn("_duplicate", F.lit(False))
    more = valid.join(repeated, on, "left_semi").withColumn("_duplicate", first)
    return once.unionByName(more)


REPEATED = "_repeated_key_"


def key_columns(df: DataFrame, contract: Contract, prefix: str) -> list[Column]:
    """The dedupe key columns of `df` renamed `<prefix>0`, `<prefix>1`, ... (to join on them)."""
    return [df[_q(k)].alias(f"{prefix}{i}") for i, k in enumerate(contract.dedupe_key)]


def same_key(contract: Contract, prefix: str) -> Column:
    """Join condition: a row's dedupe key equals the renamed one (see key_columns); null matches null,
    as in the dedupe window."""
    return functools.reduce(
        operator.and_,
        [F.col(_q(k)).eqNullSafe(F.col(f"{prefix}{i}")) for i, k in enumerate(contract.dedupe_key)],
    )


def repeated_keys(valid: DataFrame, contract: Contract) -> DataFrame:
    """The dedupe keys that occur more than once (null is a key too), from the key columns alone,
    renamed with the REPEATED prefix."""
    counted = valid.groupBy(*[F.col(_q(k)) for k in contract.dedupe_key]).count()
    return counted.where(F.col("count") > 1).select(*key_columns(counted, contract, REPEATED))


def deduplicate(valid: DataFrame, contract: Contract) -> DataFrame:
    """Keep one record per dedupe key (see mark_duplicates)."""
    return mark_duplicates(valid, contract).where(~F.col("_duplicate")).drop("_duplicate")


def to_silver(deduped: DataFrame, contract: Contract, run_id: str) -> DataFrame:
    """Silver rows: the contract columns (a flattened struct as one column per field; a missing object
    or field is null), lineage and the silver partition columns."""
    columns = []
    for c in contract.columns:
        if not c.flatten:
            columns.append(F.col(_q(c.name)))
            continue
        for (field, _), (name, _) in zip(c.fields, c.silver_columns, strict=True):
            columns.append(F.col(_q(c.name)).getField(field).alias(name))
    return deduped.select(
        *columns,
        F.col(EXTRA_FIELDS),
        F.col("_source_file"),
        F.col("_source_line"),
        F.lit(run_id).alias("_run_id"),
        *[F.expr(p.expr).cast(p.type).alias(p.name) for p in contract.silver_partitions],
    )


def reason_text(codes: Column, described: dict[str, str]) -> Column:
    """Codes -> `code: message; code: message` (messages from the contract or model, never the data)."""
    pairs = [x for code, text in sorted(described.items()) for x in (F.lit(code), F.lit(text))]
    messages = F.create_map(*pairs)
    return F.concat_ws("; ", F.transform(codes, lambda c: F.coalesce(F.element_at(messages, c), c)))


def to_quarantine(rejected: DataFrame, described: dict[str, str], codes: str = "_reasons") -> DataFrame:
    """Quarantine rows: where the record came from, why it was rejected (`code: message`), and the record."""
    return rejected.select(
        F.col("_source_file").alias("source_file"),
        F.col("_source_line").alias("source_line"),
        reason_text(F.col(codes), described).alias("reason"),
        F.col("_record").alias("record"),
        F.current_timestamp().alias("quarantined_at"),
    )
