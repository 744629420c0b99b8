"""`lakehouse new DATASET --from FILE`: a draft contract written from a sample landing file.

Guarantee: `parse_contract` accepts the draft, and `lakehouse check` on the same sample quarantines
none of its readable records. A column gets the strictest type under which EVERY value parses, as
decided by `lakehouse.landing.check.parses_as` (check's own parser), proposed only where the job's Spark casts
read the values alike: ASCII digits, no surrounding blanks or leading zeros, pattern letters sized to
the digits seen (`M` if a month has one digit, `MM` only if all have two), no two-digit years, epoch
numbers only in a column named like a time; else a string. Only keys and the event time are
`required`. Records no contract can read (not JSON, a wrong field count, undecodable bytes) are
counted in the header comment, and check quarantines exactly those: `draft_contract` runs that check
before it returns, so the guarantee is verified on every draft, not assumed.

Why: a first contract written by hand is where first runs fail (a date format missed, a cp1252 byte,
a blank in a required column). The draft reads the file as the job does (the same CSV reader and
header matching; JSON lines as check reads them) and comments each guess the sample cannot prove. It
has no quality rules and no `star:` mapping: the dataset ends in silver until the user adds one.

At ~420 lines it is a little over the project's 400: sniffing, typing and writing the YAML are read
together when a guess is questioned, and each helper is short.
"""

from __future__ import annotations

import csv
import gzip
import io
import itertools
import json
import re
import textwrap
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

from lakehouse.contract import quality as q
from lakehouse.contract.dataset import Column, parse_contract, snake_case
from lakehouse.contract.spec import ident_problem, normalize, table_name_problem
from lakehouse.errors import UsageError
from lakehouse.landing.check import check_file, parses_as

MALFORMED, NOT_DECODABLE = str(q.parse_code(q.MALFORMED_JSON)), str(q.parse_code(q.NOT_DECODABLE))
TIME_NAME = re.compile(r"time|date|epoch|created|updated|modified|(^|_)(ts|at)($|_)")
LATE_NAME = re.compile(r"modified|updated|changed|loaded|ingest|export")  # when a record changed
ID_NAME = re.compile(r"id$|_key$|number$|_no$")  # tried first as keys
TEXT_NAME = re.compile(r"id$|_key$|number$|_no$|code$|zip|postal|phone")  # digits kept as text
INT = re.compile(r"[+-]?(0|[1-9][0-9]*)")
DECIMAL = re.compile(r"[+-]?(0|[1-9][0-9]*)\.([0-9]+)")
FLOAT = re.compile(r"[+-]?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")
ISO = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})?)?"
)
DATETIME = re.compile(
    r"([0-9]{1,4})([-/.])([0-9]{1,2})\2([0-9]{1,4})(?:([ T])([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(\.[0-9]{3})?)?)?"
)
EPOCH = {"epoch_seconds": (946684800, 4102444800), "epoch_millis": (946684800000, 4102444800000)}  # 2000-2100
FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # a struct field name the type grammar accepts
MAX_FIELDS = 40  # an object with more distinct keys is a map, not a struct
COMPLEX = ("struct<", "array<", "map<")
YAML_WORDS = {"y", "n", "yes", "no", "true", "false", "on", "off", "null"}


@dataclass
class Guess:
    type: str = "string"
    formats: tuple[str, ...] = ()
    note: str = ""


@dataclass
class Sample:
    """A sample as the job reads it: its records (column -> JSON value, or CSV text or None) and more."""

    format: str
    names: list[str]
    records: list[dict]
    unreadable: Counter  # parse code -> records no contract can read
    source: list[tuple[str, str]]  # (a line of `source:`, its comment)
    skipped: list[str]  # JSON keys or header columns that cannot name a column


def _text(value: object) -> str | None:  # a value as check_file reads it (a JSON value through str)
    return None if value is None else str(value)


def _quote(text: str) -> str:
    plain = re.fullmatch(r"[a-z][a-z0-9_]*", text) and text not in YAML_WORDS
    return text if plain else json.dumps(text, ensure_ascii=False)


def _comment(text: str, indent: str = "") -> list[str]:  # a wrapped YAML comment
    return textwrap.wrap(text, 100, initial_indent=f"{indent}# ", subsequent_indent=f"{indent}# ")


def _line_notes(content: bytes) -> list[str]:
    notes = ["a UTF-8 BOM (the job skips it)"] if content.startswith(b"\xef\xbb\xbf") else []
    return notes + (["CRLF line ends (the job strips the CR)"] if b"\r\n" in content else [])


def _read_json(content: bytes) -> Sample:
    """JSON lines exactly as `check` reads them (lakehouse.landing.check._records): UTF-8, one object a line."""
    records: list[dict] = []
    bad: Counter = Counter()
    for line in content.decode("utf-8", errors="replace").splitlines():
        if not line.strip():
            continue
        try:
            record = None if "\ufffd" in line else json.loads(line.lstrip("\ufeff"))
        except ValueError:
            record = None
        if isinstance(record, dict):
            records.append(record)
        else:
            bad[NOT_DECODABLE if "\ufffd" in line else MALFORMED] += 1
    keys = list(dict.fromkeys(k for r in records for k in r))
    names = [k for k in keys if ident_problem(k) is None and not k.startswith("_")]
    source = [("format: json", "; ".join(["JSON lines", *_line_notes(content)]))]
    return Sample("json", names, records, bad, source, [k for k in keys if k not in names])


def _read_csv(sample: Path, content: bytes) -> Sample:
    """CSV through the job's own reader (csv_records.parse_csv_stream), with what it needs sniffed."""
    from lakehouse.aws.storage import open_location
    from lakehouse.transforms.csv_records import parse_csv_stream

    for encoding in ("utf-8", "cp1252", "latin-1"):  # latin-1 decodes any byte: the last resort
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    head = text[:65536].replace("\r\n", "\n")
    head = head[: head.rfind("\n") + 1] or head
    try:
        delimiter = csv.Sniffer().sniff(head, delimiters=",;\t|").delimiter
    except csv.Error:
        delimiter = max(",;\t|", key=head.split("\n", 1)[0].count)  # the most frequent, else ","
    try:
        header = csv.Sniffer().has_header(head)
    except csv.Error:
        header = True
    first = next(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=delimiter), [])
    wanted = [normalize(h) for h in first] if header else [f"column_{i + 1}" for i in range(len(first))]
    names = list(dict.fromkeys(n for n in wanted if n and ident_problem(n) is None))
    skipped = [h for h, n in zip(first, wanted, strict=True) if n not in names] if header else []
    records: list[dict] = []
    bad: Counter = Counter()
    opener = open_location(str(sample), None)
    for row in parse_csv_stream(str(sample), opener, tuple(names), delimiter, encoding, header):
        if row[3]:
            bad[row[3]] += 1
        else:
            records.append(dict(zip(names, row[4 : 4 + len(names)], strict=True)))
    why = {"utf-8": "", "cp1252": "not UTF-8; cp1252 decodes every byte", "latin-1": "not UTF-8 nor cp1252"}
    source = [("format: csv", ", ".join(_line_notes(content))), (f"encoding: {encoding}", why[encoding])]
    source += [(f"delimiter: {_quote(delimiter)}", "sniffed"), (f"header: {str(header).lower()}", "sniffed")]
    return Sample("csv", names, records, bad, source, skipped)


def _letter(ch: str, values: list[str]) -> str:  # Spark's `MM` parses two digits, `M` one or two
    return ch * 2 if all(len(v) == 2 for v in values) else ch


def _time(name: str, texts: list[str]) -> Guess | None:
    """A time type and formats under which every value parses, each with the format of its own shape:
    epoch numbers (in a column named like a time), ISO 8601 (no formats), or one Spark pattern per
    shape of date (in order of appearance)."""
    numbers = {t for t in texts if INT.fullmatch(t)} if TIME_NAME.search(name) else set()
    unit = next((u for u, (lo, hi) in EPOCH.items() if all(lo <= int(t) < hi for t in numbers)), None)
    if numbers and (not unit or len(numbers) * 2 < len(texts)):
        return None  # numbers, but not epoch ones; or a few numbers among dates
    if not numbers and all(ISO.fullmatch(t) for t in texts):
        return Guess("timestamp" if any(len(t) > 10 for t in texts) else "date", (), "ISO 8601")
    groups: dict[tuple, list[tuple]] = {}  # shape -> its values' parts, shapes in order of appearance
    shape_of: dict[str, object] = dict.fromkeys(numbers, unit)
    for t in (t for t in texts if t not in numbers):
        m = DATETIME.fullmatch(t)
        if not m or (len(m[1]) == 4) == (len(m[4]) == 4):  # exactly one four-digit year, first or last
            return None
        shape = shape_of[t] = (len(m[1]) == 4, m[2], m[5], m[8] is not None, m[9] is not None)
        groups.setdefault(shape, []).append(m.groups())
    patterns, notes = [], [f"guess: numbers since 1970 ({unit})"] if numbers else []
    for (year_first, sep, tsep, secs, frac), parts in groups.items():
        if year_first:
            date = f"yyyy{sep}{_letter('M', [g[2] for g in parts])}{sep}{_letter('d', [g[3] for g in parts])}"
        else:
            day_first, month_first = max(int(g[0]) for g in parts) > 12, max(int(g[2]) for g in parts) > 12
            if day_first and month_first:
                return None  # day and month change places between values: no one reading
            if not (day_first or month_first):
                day_first = sep == "."
                notes.append(f"guess: {'day' if day_first else 'month'} first, no value tells")
            d, mo = (0, 2) if day_first else (2, 0)
            day, month = _letter("d", [g[d] for g in parts]), _letter("M", [g[mo] for g in parts])
            date = f"{day}{sep}{month}{sep}yyyy" if day_first else f"{month}{sep}{day}{sep}yyyy"
        if tsep:
            hour, between = _letter("H", [g[5] for g in parts]), " " if tsep == " " else "'T'"
            date += f"{between}{hour}:mm{':ss' if secs else ''}{'.SSS' if frac else ''}"
        patterns.append(date)
    own: dict[object, object] = {unit: unit, **dict(zip(groups, patterns, strict=True))}
    kind = "timestamp" if numbers or any(shape[2] for shape in groups) else "date"
    column = Column(name=name, type=kind, formats=((unit,) if numbers and unit else ()) + tuple(patterns))
    if any(parses_as(t, column) != own[shape_of[t]] for t in texts):  # each value by its own format
        return None
    return Guess(kind, column.formats, "; ".join(notes))


def _scalar(name: str, values: list[str | None], floats: bool) -> Guess:
    """The strictest type every value parses as, by check's parser and the job's casts."""
    texts = [v for v in values if v is not None and v.strip()]
    if not texts:
        return Guess(note="empty in the sample")
    if any(v is not None and (v != v.strip() or not v) for v in values):
        return Guess(note="values with surrounding blanks: the job's casts would not read them")
    digits = all(re.fullmatch("[0-9]+", t) for t in texts)
    if digits and TEXT_NAME.search(name):
        return Guess(note="guess: an identifier, kept as text")
    lower = {t.lower() for t in texts}
    candidates: list[Guess | None] = (
        [Guess("boolean")] if lower <= {"true", "false"} or lower <= {"yes", "no"} else []
    )
    candidates.append(_time(name, texts))
    if not floats and all(INT.fullmatch(t) for t in texts):
        biggest = max(abs(int(t)) for t in texts)
        candidates.append(
            Guess("bigint" if biggest < 2**63 - 1 else "decimal(38,0)") if biggest < 10**38 else None
        )
    matches = [DECIMAL.fullmatch(t) for t in texts]
    scales = {len(m[2]) for m in matches if m}
    if not floats and all(matches) and len(scales) == 1:
        scale, integer = scales.pop(), max(len(m[1]) for m in matches if m)
        precision = max(12, integer + scale + 2)
        candidates.append(
            Guess(f"decimal({precision},{scale})", note=f"guess: every value has {scale} decimals")
        )
    if all(FLOAT.fullmatch(t) for t in texts):
        candidates.append(Guess("double"))
    for guess in filter(None, candidates):
        column = Column(name=name, type=guess.type, formats=guess.formats)
        if all(parses_as(t, column) is not None for t in texts):  # check's own parser has the last word
            return guess
    if sum(bool(ISO.fullmatch(t) or DATETIME.fullmatch(t)) for t in texts) * 2 >= len(texts):
        return Guess(note="mostly times, but not every value parses with one format")
    return Guess(note="leading zeros: kept as text" if digits else "")


def _json_type(values: list) -> str:
    """The Spark type `from_json` reads every one of these JSON values with (string reads anything)."""
    values = [v for v in values if v is not None]
    if values and all(isinstance(v, dict) for v in values):
        keys = list(dict.fromkeys(k for v in values for k in v))
        fields = all(FIELD.fullmatch(k) for k in keys) and len({snake_case(k) for k in keys}) == len(keys)
        if not keys or len(keys) > MAX_FIELDS or not fields:
            return "map<string,string>"
        return "struct<" + ",".join(f"{k}:{_json_type([v.get(k) for v in values])}" for k in keys) + ">"
    if values and all(isinstance(v, list) for v in values):
        return f"array<{_json_type([x for v in values for x in v])}>"
    if values and all(isinstance(v, bool) for v in values):
        return "boolean"
    numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if values and len(numbers) == len(values):
        integers = all(isinstance(v, int) and -(2**63) <= v < 2**63 for v in values)
        return "bigint" if integers else "double"
    return "string"


def _column(name: str, sample: Sample) -> Guess:
    values = [r.get(name) for r in sample.records]
    present = [v for v in values if v is not None]
    if sample.format == "json" and present and all(isinstance(v, dict | list) for v in present):
        return Guess(_json_type(present))
    if any(isinstance(v, dict | list) for v in present):
        return Guess(note="objects and plain values mixed")
    return _scalar(name, [_text(v) for v in values], any(isinstance(v, float) for v in present))


def _unique(rows: list[tuple], at: tuple[int, ...]) -> bool:
    seen: set[tuple] = set()
    for row in rows:
        key = tuple(row[i] for i in at)
        if key in seen:
            return False
        seen.add(key)
    return True


def _keys(names: list[str], rows: list[tuple], candidates: list[str], times: list[str]) -> list[str]:
    """The first combination of up to three columns unique over the distinct records: id-like columns
    alone, then with a time column, then any (time columns last)."""
    ids = [c for c in candidates if ID_NAME.search(c)]
    with_times = [c for c in candidates if c in ids or c in times]
    rest = [c for c in candidates if c not in times] + [c for c in candidates if c in times]
    tried: set[tuple[str, ...]] = set()
    for pool, need_id in ((ids, False), (with_times, True), (rest, False)):
        for combo in itertools.chain.from_iterable(itertools.combinations(pool, k) for k in (1, 2, 3)):
            if combo in tried or (need_id and not set(combo) & set(ids)):
                continue
            tried.add(combo)
            if _unique(rows, tuple(names.index(c) for c in combo)):
                return list(combo)
    return []


def _read(sample: Path) -> Sample:
    if not sample.is_file():
        raise UsageError(f"lakehouse new: no such file: {sample}")
    content = sample.read_bytes()
    if sample.suffix == ".gz":
        try:
            content = gzip.decompress(content)
        except (OSError, EOFError):
            raise UsageError(f"lakehouse new: {sample} is not a readable gzip file") from None
    base = sample.name.removesuffix(".gz").lower()
    is_json = base.endswith((".json", ".jsonl", ".ndjson")) or (
        not base.endswith((".csv", ".tsv", ".txt")) and content.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"
    )
    s = _read_json(content) if is_json else _read_csv(sample, content)
    if not s.records or not s.names:
        raise UsageError(f"lakehouse new: {sample} has no record a contract could describe")
    return s


def draft_contract(dataset: str, sample: Path, domain_dir: Path | None = None) -> str:
    """The YAML text of a draft contract for `dataset` from the landing file `sample` (see the module).
    `domain_dir`: the folder it is meant for (named in the messages of the draft's own check)."""
    problem = table_name_problem(dataset)
    if problem:
        raise UsageError(f"lakehouse new: dataset name {problem}")
    s = _read(sample)
    name = Path(sample.name.removesuffix(".gz"))
    prefix = re.sub(r"[-_.]*[0-9][-_.T:0-9]*$", "", name.stem)  # sales_2025-03-01 -> sales
    guesses = {n: _column(n, s) for n in s.names}
    present = [n for n in s.names if all((_text(r.get(n)) or "").strip() for r in s.records)]
    scalar = [n for n in s.names if not guesses[n].type.startswith(COMPLEX)]
    times = [n for n in present if guesses[n].type in ("timestamp", "date")]
    exact = ("double", "boolean", "decimal")  # no key of amounts or flags
    candidates = [n for n in present if n in scalar and not guesses[n].type.startswith(exact)]
    rows = list(dict.fromkeys(tuple(_text(r.get(n)) for n in s.names) for r in s.records))
    keys = _keys(s.names, rows, candidates, times)
    key_note = "guess: unique and never empty in the sample"
    if not keys:
        keys, key_note = scalar, "guess: no three columns are unique in the sample: the whole record"
    also = [c for c in candidates if c not in keys and _unique(rows, (s.names.index(c),))]
    late = {n: (bool(LATE_NAME.search(n)), guesses[n].type == "date", i) for i, n in enumerate(times)}
    event_time = min(times, key=late.__getitem__, default=None)
    required = {k for k in keys if k in present} | ({event_time} if event_time else set())

    unread = sum(s.unreadable.values())
    lines = _comment(
        f"Dataset contract: {dataset}, drafted by `lakehouse new` from {sample.name} ({len(s.records)} "
        f"records{f'; lines no contract can read: {unread}' if unread else ''}). A draft: comments "
        "marked `guess` are what the sample cannot prove. Review names, types, `required`, keys and "
        "partitions; add quality rules, and a `star:` mapping for gold tables (until then the dataset "
        "ends in silver). Every readable record of the sample passes `lakehouse check` under it."
    )
    about = _quote(f"Drafted from {sample.name}: what is one record?")
    lines += [f"name: {_quote(dataset)}", f"description: {about}"]
    s.source.insert(1, (f"file_pattern: {_quote(f'{prefix}*{name.suffix}*'.replace('**', '*'))}", "guess"))
    lines += ["", "source:", *(f"  {line}" + (f"  # {note}" if note else "") for line, note in s.source)]
    lines += ["", "columns:"]
    if s.skipped:
        lines += _comment(f"not declared (no valid name; in _extra_fields): {', '.join(s.skipped)}", "  ")
    if len(present) > len(required):
        always = ", ".join(n for n in present if n not in required)
        lines += _comment(f"a value in every record (candidates for required: true): {always}", "  ")
    taken = set(s.names)
    for n in s.names:
        g = guesses[n]
        parts = [f"name: {_quote(n)}", f"type: {_quote(g.type)}"]
        parts += ["required: true"] if n in required else []
        flat = [f"{n}_{snake_case(f)}" for f, _ in Column(name=n, type=g.type).fields]
        if flat and not set(flat) & taken:
            parts.append("flatten: true")  # silver: one column per field
            taken |= set(flat)
        parts += [f"formats: [{', '.join(_quote(f) for f in g.formats)}]"] if g.formats else []
        lines.append(f"  - {{{', '.join(parts)}}}" + (f"  # {g.note}" if g.note else ""))
    key = f"[{', '.join(map(_quote, keys))}]"  # a column named `on` or `null` is quoted
    lines += ["", f"keys: {key}  # {key_note}"]
    lines += _comment(f"also unique in the sample: {', '.join(also)}") if also else []
    if event_time:
        lines.append(f"event_time: {_quote(event_time)}  # guess: a time column with a value in every record")
    else:
        lines.append("# no event_time: no time column has a value in every record (files placed by arrival)")
    lines += ["dedupe:", f"  key: {key}  # guess: per key, the first by event time, file, line"]
    if len(rows) < len(s.records):
        lines += _comment(f"records repeating an earlier one exactly: {len(s.records) - len(rows)}", "  ")
    partition = next(p for p in ("event_date", f"{event_time}_date", "silver_date") if p not in taken)
    lines += ["", "zones:", "  raw:", "    partitions: [year, month, day]  # guess: a folder per day"]
    lines += ["  silver:", "    partitions:" + ("" if event_time else " []  # guess: unpartitioned")]
    if event_time:
        expr = _quote(f"to_date(`{event_time}`)")  # quoted: a column may be named like a SQL word
        lines.append(f"      - {{name: {partition}, type: date, expr: {expr}}}  # guess: a day each")
    text = "\n".join(lines) + "\n"

    contract = parse_contract(yaml.safe_load(text), (domain_dir or Path(".")) / f"{dataset}.yaml")
    report = check_file(sample, contract, 1.0)
    if report.quarantined != unread or Counter(report.parse_failures) != s.unreadable:
        raise RuntimeError(
            f"lakehouse new: the draft of {dataset} fails its own check ({report.quarantined} records "
            f"quarantined, {unread} unreadable): a bug in lakehouse.landing.draft"
        )
    return text


def write_draft(dataset: str, sample: Path, domains_root: Path, domain: str | None = None) -> Path:
    """Write the draft to `<domains_root>/<domain or dataset>/<dataset>.yaml`: never over an existing
    file, nor for a name a contract or model of any domain under the root already has."""
    if not domains_root.is_dir():
        raise UsageError(f"lakehouse new: {domains_root} does not exist (LAKEHOUSE_DOMAINS or --domains)")
    problem = ident_problem(domain) if domain is not None else None
    if problem:
        raise UsageError(f"lakehouse new: domain name {problem}")
    folder = domains_root / (domain or dataset)
    target = folder / f"{dataset}.yaml"
    if target.exists():
        raise UsageError(f"lakehouse new: {target} already exists; it is not overwritten")
    taken = sorted(p for g in ("", "*/", "*/models/") for p in domains_root.glob(f"{g}{dataset}.yaml"))
    if taken:
        raise UsageError(f"lakehouse new: {dataset!r} is already defined in {taken[0]}")
    text = draft_contract(dataset, sample, folder)
    folder.mkdir(parents=True, exist_ok=True)
    with target.open("x", encoding="utf-8") as f:  # "x": not over a file written meanwhile either
        f.write(text)
    return target
