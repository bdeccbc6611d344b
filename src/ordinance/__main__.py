"""``python -m ordinance``: the command line."""

from .cli import run

run()
