"""Auditing sharing logs: every row of an export judged against the law set
(``ordinance audit``), with the mapping from columns to facts (:mod:`.mapping`), the
logs read into DuckDB (:mod:`.logs`), the mapping as SQL (:mod:`.sql`), the run
(:mod:`.run`) and its reports (:mod:`.report`)."""
