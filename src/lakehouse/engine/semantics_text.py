"""Strings and regular expressions in the local Athena.

Trino's `trim` removes Java whitespace (`JAVA_WHITESPACE`), `substr(s, 0)` is `''`, `split_part` past
the last field is NULL, `regexp_extract` without a match is NULL, `regexp_replace` takes `$1`
(`trino_replacement_to_re2`), and `concat` and `||` join strings only (anything else fails, as in
Trino). A regex group that may not take part in a match, and named or multi-digit group references,
are refused.
"""

from __future__ import annotations

import re

from sqlglot import exp

from lakehouse.engine.refusals import NotSupportedLocally
from lakehouse.engine.semantics_base import SemanticsBase
from lakehouse.engine.sqlglot_dialects import tpl
from lakehouse.engine.trino_types import TEXT, T, _is, trino_type_name
from lakehouse.errors import QueryError

JAVA_WHITESPACE = (
    " \t\n\x0b\x0c\r\x1c\x1d\x1e\x1f\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2008\u2009\u200a\u2028\u2029\u205f\u3000"
)


class TextRules(SemanticsBase):
    """Rewrites of string and regex functions (see the module docstring)."""

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
