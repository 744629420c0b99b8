"""Spark sessions: the Glue runtime when Glue's JVM is there, a local session otherwise.

On Glue, `GlueContext` and `Job` wrap the session (bookmarks, metrics, `job.commit()`); they need
Glue's JVM classes, so off Glue the job runs on a plain SparkSession with `job = None`. Job code
never depends on which one it got.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pyspark.sql import SparkSession

from lakehouse.settings import env_set, env_str, set_default

# Settings the jobs rely on, on Glue and locally alike.
SQL_CONF = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.sources.partitionOverwriteMode": "dynamic",
    "spark.sql.parquet.compression.codec": "snappy",
    "spark.sql.parquet.outputTimestampType": "TIMESTAMP_MICROS",  # Athena and DuckDB read it; INT96 is legacy
}
# Local only: small data, two cores (and the warehouse directory under TMPDIR: local_conf()).
LOCAL_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.shuffle.partitions": "4",
    "spark.default.parallelism": "2",
    "spark.driver.memory": "2g",
    "spark.sql.adaptive.enabled": "true",
    # local files without Hadoop's .crc side files: the checksummed file system cannot name the side
    # file of a file with `:` in its name (an export stamped 10:00:00), and fails or skips the read
    "spark.hadoop.fs.file.impl": "org.apache.hadoop.fs.RawLocalFileSystem",
    "spark.driver.extraJavaOptions": "-Dderby.system.home=/tmp/lakehouse-derby "
    f"-Dlog4j2.configurationFile={Path(__file__).with_name('log4j2.properties').as_uri()}",
}


def local_conf() -> dict[str, str]:
    """The configuration of a local session, read when the session is made."""
    return {
        **LOCAL_CONF,
        "spark.sql.warehouse.dir": os.path.join(env_str("TMPDIR"), "lakehouse-spark-warehouse"),
    }


def local_session(app_name: str = "lakehouse") -> SparkSession:
    """A local[2] session (reused if one is active)."""
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    # Python workers must import lakehouse from the driver's environment (PySpark reads this at start)
    set_default("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.master(env_str("LAKEHOUSE_SPARK_MASTER")).appName(app_name)
    for key, value in {**local_conf(), **SQL_CONF}.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _on_glue(sc) -> bool:
    try:
        from py4j.java_gateway import JavaClass

        return isinstance(sc._jvm.com.amazonaws.services.glue.GlueContext, JavaClass)
    except Exception:
        return False


def job_session(job_name: str, args: dict):
    """(spark, job) for a job script: Glue's GlueContext + Job on Glue, a local session and None elsewhere."""
    if SparkSession.getActiveSession() is None and env_set("PYSPARK_GATEWAY_PORT"):
        from pyspark.context import SparkContext  # launched by spark-submit (Glue): master comes from there

        sc = SparkContext.getOrCreate()
        if _on_glue(sc):
            from awsglue.context import GlueContext
            from awsglue.job import Job

            glue_context = GlueContext(sc)
            job = Job(glue_context)
            job.init(job_name, args)
            spark = glue_context.spark_session
        else:
            spark, job = SparkSession(sc), None
    else:
        spark, job = local_session(job_name), None
    for key, value in SQL_CONF.items():
        spark.conf.set(key, value)
    return spark, job
