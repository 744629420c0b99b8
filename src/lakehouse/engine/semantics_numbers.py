"""Numbers in the local Athena: integer and decimal arithmetic, aggregates, rounding, approximations.

Where DuckDB's answer differs from Trino's: integer `/` and `%` truncate toward zero and fail on zero
(`lh_idiv`, `lh_imod`), decimal `/` is exact and rounded half up with Trino's result type, `+ - *` of
decimals get Trino's precision and scale, `sum`, `avg`, `count_if`, `round`, `floor`, `ceil`, `sign`
return Trino's types; approximate aggregates are computed exactly, with a note. (`+` and `-` are
dispatched by `TrinoSemantics` in `lakehouse.engine.semantics`: date arithmetic first, then
`_decimal_arith`.)
"""

from __future__ import annotations

from decimal import Decimal

from sqlglot import exp

from lakehouse.engine.refusals import NotSupportedLocally
from lakehouse.engine.semantics_base import SemanticsBase
from lakehouse.engine.sqlglot_dialects import tpl
from lakehouse.engine.trino_types import (
    FLOATS,
    INTEGERS,
    T,
    _decimal_params,
    _decimal_ps,
    _named_type,
    dtype,
    trino_type_name,
)


class NumberRules(SemanticsBase):
    """Rewrites of arithmetic, numeric functions and aggregates (see the module docstring)."""

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

    def visit_mul(self, node: exp.Mul) -> exp.Expr | None:
        return self._decimal_arith(node)

    def _decimal_arith(self, node: exp.Binary) -> exp.Expr | None:
        """Decimal +, -, *: DuckDB's value, Trino's result type (functions/decimal.md)."""
        t = self._arith_type(node)
        if t is not None and t.this == T.DECIMAL:
            name = _named_type(t)
            return self.typed(exp.Cast(this=node.copy(), to=dtype(name)), name)
        return None
