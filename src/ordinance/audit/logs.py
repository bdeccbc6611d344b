"""Reading sharing logs (CSV, XLSX, Parquet, JSON lines; globs and many files) into DuckDB.

Every cell is read as text, so a mapping sees what the export says; a CSV line DuckDB
cannot read is kept in its rejects table and counted (never dropped unseen).
"""

from __future__ import annotations

import csv
import glob
import tempfile
from pathlib import Path
from typing import Any

import attrs

from ..language.diagnostics import did_you_mean
from ..language.errors import InputError
from ..outputs.sqlview import identifier
from .mapping import LogMapping
from .sql import literal

CSV_SUFFIXES = (".csv", ".tsv", ".txt")
JSON_SUFFIXES = (".jsonl", ".ndjson", ".json")
PARQUET_SUFFIXES = (".parquet", ".pq")
XLSX_SUFFIXES = (".xlsx",)
SUFFIXES = (*CSV_SUFFIXES, *JSON_SUFFIXES, *PARQUET_SUFFIXES, *XLSX_SUFFIXES)


@attrs.frozen
class LogFile:
    """One file of the log, as the audit reads it."""

    path: Path
    shown: str  # as the user named it
    kind: str  # csv, json, parquet or xlsx
    header: bool = True


def expand(patterns: list[str]) -> list[LogFile]:
    """The files the patterns name, in order, each once.

    Raises:
        InputError: a pattern matching nothing, a directory or an unknown file type.
    """
    out: list[LogFile] = []
    seen: set[Path] = set()
    for pattern in patterns:
        matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        if not matches:
            raise InputError(f"{pattern}: no file matches")
        for match in matches:
            path = Path(match)
            if not path.exists():
                raise InputError(f"{match}: no such file")
            if path.is_dir():
                raise InputError(f"{match}: is a directory; name its files (e.g. "
                                 f"'{match}/*.csv')")
            suffix = path.suffix.lower()
            if suffix not in SUFFIXES:
                raise InputError(f"{match}: unknown log type `{suffix or '(none)'}`; "
                                 "allowed: " + ", ".join(SUFFIXES))
            if path.resolve() in seen:
                continue
            seen.add(path.resolve())
            kind = ("csv" if suffix in CSV_SUFFIXES else "json" if suffix in JSON_SUFFIXES
                    else "parquet" if suffix in PARQUET_SUFFIXES else "xlsx")
            out.append(LogFile(path, match, kind))
    return out


def _first_row(path: Path, delimiter: str) -> list[str]:
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        for row in csv.reader(handle, delimiter=delimiter):
            if any(cell.strip() for cell in row):
                return [cell.strip() for cell in row]
    return []


def _xlsx_to_csv(path: Path, workdir: Path) -> Path:
    """An XLSX sheet (the first) as a CSV file DuckDB reads like the others."""
    try:
        import openpyxl  # type: ignore[import-untyped]
    except ImportError:  # pragma: no cover - openpyxl is a dependency
        raise InputError(f"{path}: reading XLSX needs openpyxl") from None
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on a file that is not XLSX
        raise InputError(f"{path}: not a readable XLSX workbook ({error})") from None
    target = Path(tempfile.mkstemp(suffix=".csv", dir=workdir)[1])
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        for row in book.worksheets[0].iter_rows(values_only=True):
            writer.writerow(["" if cell is None else str(cell) for cell in row])
    book.close()
    return target


def needed_columns(mapping: LogMapping) -> list[str]:
    """The columns the mapping reads, each once, in order."""
    return list(dict.fromkeys(f.column for f in mapping.facts))


def readable(log: LogFile, workdir: Path) -> Path:
    """The file to read: an XLSX sheet converted to CSV, any other file as it is."""
    return _xlsx_to_csv(log.path, workdir) if log.kind == "xlsx" else log.path


def csv_layout(log: LogFile, path: Path, mapping: LogMapping
               ) -> tuple[str, bool, list[str]]:
    """A CSV file's delimiter, whether its first row is a header, and its columns.

    Raises:
        InputError: an empty file, or one whose first row is neither the header the
            mapping reads nor a row of the columns it lists for header-less exports.
    """
    needed = needed_columns(mapping)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    first = _first_row(path, delimiter)
    if not first:
        raise InputError(f"{log.shown}: the file is empty")
    if all(column in first for column in needed):
        return delimiter, True, first
    if mapping.columns and len(first) == len(mapping.columns):
        return delimiter, False, list(mapping.columns)
    missing = [c for c in needed if c not in first]
    hints = [h for h in (did_you_mean(c, first) for c in missing) if h]
    raise InputError(
        f"{log.shown}: not a log this mapping reads: its first row has no "
        f"column {', '.join(f'`{c}`' for c in missing)}"
        + (f" ({'; '.join(hints)})" if hints else "")
        + (f", and it is not a row of the {len(mapping.columns)} columns the "
           "mapping lists for exports without a header" if mapping.columns else ""))


def relation_sql(files: list[LogFile], mapping: LogMapping, workdir: Path,
                 con: Any) -> tuple[str, list[tuple[int, str]]]:
    """A SQL query over every file giving ``source_file``, ``source_row`` (1-based, per
    file) and the mapped columns as text, and each CSV file's index with the name of the
    table DuckDB puts its unreadable lines in.

    Raises:
        InputError: a file without a column the mapping reads, or that is not a log.
    """
    needed = needed_columns(mapping)
    parts: list[str] = []
    rejects: list[tuple[int, str]] = []
    for index, log in enumerate(files):
        path = readable(log, workdir)
        if log.kind in ("csv", "xlsx"):
            delimiter, has_header, columns = csv_layout(log, path, mapping)
            reject = f"rejects_{index}"  # DuckDB fills it with the lines it cannot split
            rejects.append((index, reject))
            spec = ", ".join(f"{literal(c)}: 'VARCHAR'" for c in columns)
            options = [f"delim={literal(delimiter)}", "auto_detect=false",
                       f"columns={{{spec}}}", "quote='\"'",
                       "escape='\"'", "strict_mode=false", "null_padding=true",
                       f"header={'true' if has_header else 'false'}", "store_rejects=true",
                       f"rejects_table={literal(reject)}",
                       f"rejects_scan={literal(reject + '_scan')}", "parallel=true"]
            source = f"read_csv({literal(str(path))}, {', '.join(options)})"
        elif log.kind == "json":
            parts.append(_json_lines(index, log, path, needed, con))
            rejects.append((index, f"rejects_{index}"))
            continue
        else:
            source = f"read_parquet({literal(str(path))}, file_row_number=true)"
            columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
        require(log, needed, columns)
        cells = ", ".join(f"CAST({identifier(c)} AS VARCHAR) AS {identifier(c)}" for c in needed)
        parts.append(f"SELECT {index} AS source_file, row_number() OVER () AS source_row, "
                     f"{cells} FROM {source}")
    return " UNION ALL ".join(parts), rejects


def require(log: LogFile, needed: list[str], columns: list[str]) -> None:
    """Fail unless the file has every column the mapping reads."""
    missing = [c for c in needed if c not in columns]
    if missing:
        hints = [h for h in (did_you_mean(c, columns) for c in missing) if h]
        raise InputError(f"{log.shown}: no column {', '.join(f'`{c}`' for c in missing)}"
                         + (f" ({'; '.join(hints)})" if hints else "")
                         + "; it has: " + (", ".join(columns) or "nothing readable"))


RECORD_SEPARATOR = "\x1e"
"""The delimiter a JSON-lines file is read with, so each line is one cell: JSON text never
holds this control character unescaped."""

JSON_SAMPLE = 1000
"""Objects of a JSON-lines log whose keys are read to check the mapping's columns."""


def _json_lines(index: int, log: LogFile, path: Path, needed: list[str], con: Any) -> str:
    """A JSON-lines file read line by line (so a line that is not a JSON object is counted,
    in table ``rejects_{index}``, never dropped or fatal), its objects' fields as text."""
    lines = (f"(SELECT row_number() OVER () AS source_row, line FROM "
             f"read_csv({literal(str(path))}, columns={{'line': 'VARCHAR'}}, header=false, "
             f"delim={literal(RECORD_SEPARATOR)}, quote='', escape='', auto_detect=false, "
             "strict_mode=false, null_padding=true))")
    is_object = "(CASE WHEN json_valid(line) THEN json_type(line) = 'OBJECT' ELSE FALSE END)"
    con.execute(f"CREATE OR REPLACE TEMP TABLE lines_{index} AS SELECT source_row, "
                f"{is_object} AS ok, line FROM {lines} WHERE trim(line) <> ''")
    con.execute(f"CREATE TEMP TABLE rejects_{index} AS SELECT source_row AS line, "
                "'not a JSON object' AS error_message FROM lines_"
                f"{index} WHERE NOT ok")
    keys = {k for (row,) in con.execute(
        f"SELECT json_keys(line) FROM lines_{index} WHERE ok LIMIT {JSON_SAMPLE}").fetchall()
        for k in row}
    require(log, needed, sorted(keys))
    cells = ", ".join(f"json_extract_string(line, {literal('$.' + json_key(c))}) AS "
                      f"{identifier(c)}" for c in needed)
    return (f"SELECT {index} AS source_file, source_row, {cells} FROM lines_{index} "
            "WHERE ok")


def json_key(name: str) -> str:
    """A key in a JSON path (quoted: keys hold spaces and signs)."""
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
