"""Audit: every row of a sharing log judged against the law set (``ordinance audit``).

Takes a loaded law set, a mapping (YAML: how columns become request facts) and the log's
files; gives every row its outcome, deciding rules, citations and missing facts, decided
once per signature: the checked mapping (``mapping``), the files read into DuckDB
(``logs``), the mapping as SQL (``sql``), the run and its Parquet and JSON-lines outputs
(``run``), the summaries and the HTML report (``report``), and synthetic logs for tests
and benchmarks (``synthetic``). Imports the analysis, the engine and the stages below.
"""
