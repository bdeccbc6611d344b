"""The audit's row mapping on Apache Spark (``ordinance audit --engine spark``).

For logs beyond one machine, Spark does the work that grows with the rows: reading every
file, mapping each row to facts and signature keys (the same SQL as on DuckDB, translated
by ``sqlglot``; times parsed with the mapping's format written as a Java pattern), and
writing the mapped rows as Parquet. The judging that follows reads that Parquet on DuckDB
exactly as the DuckDB engine's own table: each distinct signature is decided once by the
evaluator and joined back (:func:`ordinance.audit.run.judge`). ``pyspark`` is an optional
extra (``pip install 'ordinance[spark]'``) and needs a Java runtime.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ..engine.lawset import OrdinanceSet
from ..language.errors import InputError
from .logs import LogFile, csv_layout, needed_columns, readable, require
from .mapping import FactMap, LogMapping
from .run import AuditRun, connect, judge, keyed_sql
from .sql import cell_sql

_JAVA = {"%Y": "yyyy", "%y": "yy", "%m": "MM", "%d": "dd", "%H": "HH", "%I": "hh",
         "%M": "mm", "%S": "ss", "%p": "a", "%b": "MMM", "%B": "MMMM", "%f": "SSSSSS",
         "%z": "Z", "%j": "DDD"}
"""Python's time directives and the Java (Spark) pattern letters that read the same."""


def java_pattern(time_format: str) -> str:
    """A Python ``strptime`` format as a Spark datetime pattern (text quoted).

    >>> java_pattern("%m/%d/%Y, %I:%M:%S %p UTC")
    "MM/dd/yyyy, hh:mm:ss a 'UTC'"

    Raises:
        InputError: a directive Spark has no pattern for.
    """
    out: list[str] = []
    for token in re.findall(r"%.|[A-Za-z]+|[^%A-Za-z]+", time_format):
        if token.startswith("%"):
            if token == "%%":
                out.append("%")
            elif token in _JAVA:
                out.append(_JAVA[token])
            else:
                raise InputError(f"time format `{time_format}`: `{token}` has no Spark "
                                 "pattern; use " + ", ".join(sorted(_JAVA)))
        elif token[0].isalpha():
            out.append("'" + token + "'")
        else:
            out.append(token.replace("'", "''"))
    return "".join(out)


def _spark_sql(duckdb_sql: str) -> str:
    import sqlglot

    return str(sqlglot.transpile(duckdb_sql, read="duckdb", write="spark")[0])


def _fact_expression(fact_map: FactMap, sql: str, redacted: frozenset[str]) -> str:
    """A fact's expression for Spark: the DuckDB SQL translated; a time parsed with the
    format as a Java pattern (DuckDB's ``strptime`` formats are Python's)."""
    if fact_map.time_format is not None and "strptime" in sql:
        cell = _spark_sql(cell_sql(fact_map, redacted))
        pattern = java_pattern(fact_map.time_format).replace("\\", "\\\\").replace("'", "\\'")
        return f"to_date(try_to_timestamp({cell}, '{pattern}'))"
    return _spark_sql(sql)


def session(master: str) -> Any:
    """A Spark session on ``master`` (``local[*]`` for this machine's cores).

    Raises:
        InputError: when pyspark is not installed or Spark cannot start.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise InputError("--engine spark needs pyspark and a Java runtime: "
                         "pip install 'ordinance[spark]'") from None
    try:
        spark = (SparkSession.builder.master(master).appName("ordinance audit")
                 .config("spark.ui.enabled", "false")
                 .config("spark.ui.showConsoleProgress", "false")
                 .config("spark.sql.session.timeZone", "UTC").getOrCreate())
    except Exception as error:  # Spark reports a missing JVM in several ways
        raise InputError(f"Spark did not start on {master}: {error}") from None
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def _read(spark: Any, index: int, log: LogFile, mapping: LogMapping, workdir: Path,
          rejected: list[tuple[str, int, str]]) -> Any:
    """One file as a DataFrame of its mapped columns (text) with ``source_file`` and
    ``source_row`` (its row, counted from 1; for JSON lines, its line)."""
    from pyspark.sql import functions as F  # noqa: N812 - Spark's own convention
    from pyspark.sql.types import StringType, StructField, StructType

    needed = needed_columns(mapping)
    path = readable(log, workdir)
    if log.kind in ("csv", "xlsx"):
        delimiter, header, columns = csv_layout(log, path, mapping)
        schema = StructType([StructField(c, StringType()) for c in columns])
        frame = spark.read.csv(str(path), schema=schema, header=header, sep=delimiter,
                               quote='"', escape='"', mode="PERMISSIVE")
    elif log.kind == "parquet":
        frame = spark.read.parquet(str(path))
        require(log, needed, frame.columns)
    else:
        lines = numbered(spark.read.text(str(path)), "source_row")  # its line
        is_object = F.coalesce(F.expr("from_json(value, 'MAP<STRING,STRING>')").isNotNull()
                               & F.col("value").rlike(r"^\s*\{"), F.lit(False))
        judged = lines.where(F.trim("value") != "").withColumn("ok", is_object)
        for (line,) in judged.where(~F.col("ok")).select("source_row").collect():
            rejected.append((log.shown, int(line), "not a JSON object"))
        objects = judged.where("ok")
        keys = {k for (row,) in objects.select(F.expr(
            "map_keys(from_json(value, 'MAP<STRING,STRING>'))")).limit(1000).collect()
            for k in row}
        require(log, needed, sorted(keys))
        frame = objects.select(
            "source_row", *[F.get_json_object("value", f"$['{c}']").alias(c) for c in needed])
        return frame.withColumn("source_file", F.lit(index))
    frame = frame.select(*[F.col(f"`{c}`").cast("string").alias(c) for c in needed])
    return numbered(frame, "source_row").withColumn("source_file", F.lit(index))


def numbered(frame: Any, column: str) -> Any:
    """``frame`` with ``column`` numbering its rows from 1 in their order, without moving
    them to one place: each partition's rows counted (a small collect), and a row's number
    is its partition's offset plus its place in the partition."""
    from pyspark.sql import functions as F  # noqa: N812 - Spark's own convention

    tagged = frame.withColumn("_part", F.spark_partition_id()).withColumn(
        "_id", F.monotonically_increasing_id())
    offsets: list[Any] = []
    total = 0
    for part, count in sorted(tagged.groupBy("_part").count().collect()):
        offsets += [F.lit(part), F.lit(total)]
        total += count
    if not offsets:
        return frame.withColumn(column, F.lit(None).cast("long"))
    # monotonically_increasing_id: the partition index in the upper bits, the place below.
    place = F.col("_id") - F.shiftleft(F.col("_part").cast("long"), 33)
    return tagged.withColumn(column, F.create_map(*offsets)[F.col("_part")] + place + 1
                             ).drop("_part", "_id")


def audit_spark(laws: OrdinanceSet, mapping: LogMapping, files: list[LogFile], *,
                workdir: Path, master: str = "local[*]", progress: Any = None) -> AuditRun:
    """:func:`ordinance.audit.run.audit` with the rows read and mapped by Spark.

    Raises:
        InputError: a log that cannot be read as the mapping says, or no Spark.
    """
    spark = session(master)
    plan = keyed_sql(laws, mapping)
    rejected: list[tuple[str, int, str]] = []
    frames = [_read(spark, index, log, mapping, workdir, rejected)
              for index, log in enumerate(files)]
    rows = frames[0]
    for frame in frames[1:]:
        rows = rows.unionByName(frame)
    rows = numbered(rows, "row_id")  # the union keeps the files' order
    facts = rows.selectExpr("row_id", "source_file", "source_row", *[
        f"{_fact_expression(fact_map, sql, mapping.redacted)} AS `{column.strip(chr(34))}`"
        for fact_map, sql, column in plan.inner])
    keyed = facts.selectExpr("*", *[_spark_sql(f"SELECT {e}").removeprefix("SELECT ")
                                    for e in plan.outer])
    keyed = keyed.drop(*[c.strip('"') for c in plan.drop])
    target = workdir / "keyed.parquet"
    keyed.write.mode("overwrite").parquet(str(target))
    con = connect(workdir)
    con.execute(f"CREATE TEMP VIEW keyed AS SELECT * FROM read_parquet("
                f"'{target.as_posix()}/*.parquet')")
    rejected.sort(key=lambda r: (r[0], r[1]))
    return judge(con, laws, mapping, plan, files, rejected, progress)
