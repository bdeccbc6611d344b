"""The law language: source text, grammar, parser, syntax tree, loader, formatter, diagnostics.

Takes law files (text with their paths); gives syntax trees (``nodes``) with exact source
spans, the canonical formatting of a file (``fmt``), and the diagnostics and error types
(``diagnostics``, ``errors``) that every later stage reports with. Imports nothing else of
``ordinance``.
"""
