"""Quality reasons as codes: (rule, column, kind), never the offending value.

Every reason a record is quarantined for, or a warn rule flags, is one `Code`. Jobs carry codes (in
Spark, as the string `rule:column:kind`), tally them by code (so a run with a million distinct bad
dates makes one tally entry, not a million), and render a human message from the code alone, so no
raw value reaches the audit table, the logs or an alert. `codes_of(contract)` lists every code a
contract can produce, which is how `quality_results` covers every rule whether it failed or not.

This module needs only the standard library: the CLI, the jobs and the handlers all read codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lakehouse.contract.dataset import Contract, QualityRule

PARSE_RULE = "readable_record"  # every failure to read a record at all is counted under this rule
RECORD = "_record"  # the "column" of a parse failure: the whole record
DEFAULT_QUARANTINE_LIMIT = 0.05  # share of a run's rows that may be quarantined (contract: quarantine_limit)

# parse failures: the record could not be read as a record at all
MALFORMED_JSON, NOT_DECODABLE, UNREADABLE_FILE = "malformed_json", "not_decodable", "unreadable_file"
CSV_SYNTAX, FIELD_COUNT = "csv_syntax", "field_count"
PARSE_KINDS = {
    MALFORMED_JSON: "not a JSON object",
    NOT_DECODABLE: "undecodable bytes in the source's encoding",
    UNREADABLE_FILE: "unreadable file: corrupt or truncated data (e.g. a cut-off gzip)",
    CSV_SYNTAX: "not valid CSV (e.g. a NUL byte or an unterminated quote)",
    FIELD_COUNT: "a different number of fields than the header",
}
# per column
MISSING, UNPARSEABLE, WRONG_JSON_TYPE = "missing", "unparseable", "wrong_json_type"


@dataclass(frozen=True, order=True)
class Code:
    rule: str
    column: str
    kind: str

    def __str__(self) -> str:
        return f"{self.rule}:{self.column}:{self.kind}"

    @classmethod
    def parse(cls, text: str) -> Code:
        rule, column, kind = [*text.split(":", 2), "", ""][:3]
        return cls(rule, column, kind)


def parse_code(kind: str) -> Code:
    return Code(PARSE_RULE, RECORD, kind)


def required_code(column: str) -> Code:
    return Code(f"required_{column}", column, MISSING)


def type_code(column: str, kind: str = UNPARSEABLE) -> Code:
    return Code(f"type_{column}", column, kind)


def rule_code(rule: QualityRule) -> Code:
    return Code(rule.name, rule.column, rule.check)


def check_of(code: Code) -> str:
    """The quality_results `check` of a code: parse, completeness, type, or the rule's own check."""
    if code.rule == PARSE_RULE:
        return "parse"
    if code.kind == MISSING:
        return "completeness"
    if code.kind in (UNPARSEABLE, WRONG_JSON_TYPE):
        return "type"
    return code.kind


def message(code: Code, contract: Contract | None = None) -> str:
    """A human message for a code, from the contract (never from the data)."""
    if code.rule == PARSE_RULE:
        text = PARSE_KINDS.get(code.kind, code.kind)
        if code.kind == NOT_DECODABLE and contract is not None:
            text = f"undecodable bytes: not valid {contract.source.encoding}"
        return text
    column = contract.column(code.column) if contract and code.column in contract.column_names else None
    if code.kind == MISSING:
        return f"missing required field {code.column}"
    if code.kind == UNPARSEABLE:
        kind = column.type if column else "value"
        formats = f" (formats: {', '.join(column.formats)})" if column and column.formats else ""
        return f"unparseable {kind} in {code.column}{formats}"
    if code.kind == WRONG_JSON_TYPE:
        return f"wrong JSON type in {code.column}: expected {column.type if column else 'another type'}"
    rule = next((r for r in contract.quality if r.name == code.rule), None) if contract else None
    if rule is not None:
        return rule_text(rule)
    return f"{code.rule}: {code.kind} on {code.column}"


def rule_text(rule: QualityRule) -> str:
    if rule.check == "expression":
        return f"{rule.expr} does not hold"
    if rule.check == "accepted_values":
        return f"{rule.column} is not one of the accepted values"
    if rule.check == "regex":
        return f"{rule.column} does not match {rule.pattern}"
    low = rule.min if rule.min is not None else ""
    high = rule.max if rule.max is not None else ""
    return f"{rule.column} outside [{low}, {high}]"


def describe(code: Code | str, contract: Contract | None = None) -> str:
    """`code: message`, the spelling of a reason in quarantine rows and on screen."""
    code = Code.parse(code) if isinstance(code, str) else code
    return f"{code}: {message(code, contract)}"


def codes_of(contract: Contract) -> list[Code]:
    """Every code a contract's raw->silver run can produce, in quality_results order."""
    out = [parse_code(k) for k in PARSE_KINDS]
    for c in contract.columns:
        if c.required:
            out.append(required_code(c.name))
        if c.type.startswith(("map<", "array<", "struct<")):
            if contract.source.format == "json":
                out.append(type_code(c.name, WRONG_JSON_TYPE))
        elif c.type != "string":
            out.append(type_code(c.name))
    out += [rule_code(r) for r in contract.quality]
    return out


def described(contract: Contract) -> dict[str, str]:
    """code -> `code: message` for every code of a contract (what quarantine rows say)."""
    return {str(c): describe(c, contract) for c in codes_of(contract)}


def share(failed: int, total: int) -> float:
    return round(failed / total, 6) if total else 0.0
