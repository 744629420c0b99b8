"""What a model's transform module returns: the contract between a model's rules and the generic stage.

A model file names its transform module (`transform: transform`: its domain folder's transform.py); the module has
`build(spark, sources, parameters) -> ModelBuild | None`, where `sources` maps each source dataset to
its published silver rows (None when it has not landed) and `parameters` holds the model file's
parameters and its run arguments (None when a run does not give one). None means there is nothing to
build yet. The build_model stage writes the tables, quarantines the rejected lines, counts every
check by its code and reconciles: rows of `lines` (and of each `more` pair's lines) = rows of
`fact` (and of each `more` pair's table) + rejected rows. The stage holds no model code.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyspark.sql import DataFrame

from lakehouse.contract.quality import Code


@dataclass
class ModelBuild:
    tables: dict[str, DataFrame]  # gold table -> rows (its declared columns, partition columns included)
    lines: DataFrame | None = None  # the rows read, at the grain of `fact`
    fact: str | None = None  # the table holding one row per line that was not rejected
    rejected: DataFrame | None = None  # _source_file, _source_line, _codes (array of codes), _record
    checks: tuple[tuple[Code, str], ...] = ()  # every check the model applies, with its message
    # further (lines, table) grains reconciled the same way, e.g. the category tree's rows -> dim_category
    # (their rejected rows are in `rejected` too)
    more: tuple[tuple[DataFrame, str], ...] = ()
