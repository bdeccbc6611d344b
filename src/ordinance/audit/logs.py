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


def relation_sql(files: list[LogFile], mapping: LogMapping, workdir: Path,
                 con: Any) -> tuple[str, list[tuple[int, str]]]:
    """A SQL query over every file giving ``source_file``, ``source_row`` (1-based, per
    file) and the mapped columns as text, and each CSV file's index with the name of the
    table DuckDB puts its unreadable lines in.

    Raises:
        InputError: a file without a column the mapping reads, or that is not a log.
    """
    needed = list(dict.fromkeys(f.column for f in mapping.facts))
    parts: list[str] = []
    rejects: list[tuple[int, str]] = []
    for index, log in enumerate(files):
        path = log.path
        if log.kind == "xlsx":
            path = _xlsx_to_csv(path, workdir)
        if log.kind in ("csv", "xlsx"):
            delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
            first = _first_row(path, delimiter)
            if not first:
                raise InputError(f"{log.shown}: the file is empty")
            has_header = all(column in first for column in needed)
            if has_header:
                columns = first
            elif mapping.columns and len(first) == len(mapping.columns):
                columns = list(mapping.columns)
            else:
                missing = [c for c in needed if c not in first]
                hints = [h for h in (did_you_mean(c, first) for c in missing) if h]
                raise InputError(
                    f"{log.shown}: not a log this mapping reads: its first row has no "
                    f"column {', '.join(f'`{c}`' for c in missing)}"
                    + (f" ({'; '.join(hints)})" if hints else "")
                    + (f", and it is not a row of the {len(mapping.columns)} columns the "
                       "mapping lists for exports without a header" if mapping.columns
                       else ""))
            reject = f"rejects_{index}"
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
            source = (f"read_json({literal(str(path))}, format='newline_delimited', "
                      "records=true, sample_size=-1)")
            columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
        else:
            source = f"read_parquet({literal(str(path))}, file_row_number=true)"
            columns = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
        missing = [c for c in needed if c not in columns]
        if missing:
            hints = [h for h in (did_you_mean(c, columns) for c in missing) if h]
            raise InputError(f"{log.shown}: no column {', '.join(f'`{c}`' for c in missing)}"
                             + (f" ({'; '.join(hints)})" if hints else "")
                             + "; it has: " + ", ".join(columns))
        cells = ", ".join(f"CAST({identifier(c)} AS VARCHAR) AS {identifier(c)}" for c in needed)
        parts.append(f"SELECT {index} AS source_file, row_number() OVER () AS source_row, "
                     f"{cells} FROM {source}")
    return " UNION ALL ".join(parts), rejects
