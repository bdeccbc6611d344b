"""Written outputs: decisions and laws put into words for people.

Takes decisions, explanations and checked law sets; gives text and documents: conditions
and rules in plain English or Spanish (``prose``, ``sitetext``), decisions as terminal text
and Markdown memos (``render``), the full reasoning tree (``tree``), the catalogue of a
law set (``catalog``) and the documentation site from the jinja2 templates in
``templates/`` (``docsite``). Imports the analysis, engine, checker and language stages.
"""
