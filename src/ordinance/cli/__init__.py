"""The command line: takes arguments, files and standard input; gives decisions, reports
and documents as text, JSON or Markdown, and an exit code (``common.py`` lists them).

``group`` holds the ``ordinance`` group and loads each command's module when it runs; each
command has a module of its own; ``common`` holds what they share. Commands import from
``common`` and from the library, never from each other or from ``group``.
"""

from .group import main, run

__all__ = ["main", "run"]
