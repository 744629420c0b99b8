"""The calendar model's rules: the conformed dim_date (lakehouse.transforms.calendar builds it), with
the fiscal periods of the model's first source once it has landed (the sales domain's fiscal_calendar;
none: the fiscal columns are null)."""

from __future__ import annotations

from typing import Any

from pyspark.sql import DataFrame, SparkSession

from lakehouse.transforms.calendar import build_calendar
from lakehouse.transforms.model_build import ModelBuild


def build(spark: SparkSession, sources: dict[str, DataFrame | None], params: dict[str, Any]) -> ModelBuild:
    fiscal = next(iter(sources.values()), None)
    return ModelBuild({"dim_date": build_calendar(spark, fiscal)})
