"""The ``ordinance`` command group: its options, and each command loaded when it is run."""

from __future__ import annotations

import importlib
import os
import sys

import click

from ..version import __version__
from .common import EXIT_CODES_HELP

COMMANDS = {
    "ask": "ask:ask",
    "audit": "audit:audit",
    "batch": "batch:batch",
    "check": "check:check",
    "compile": "compile:compile_command",
    "coverage-gaps": "diff:coverage_gaps_command",
    "diff": "diff:diff_command",
    "docs": "docs:docs",
    "explain": "explain:explain",
    "fmt": "fmt:fmt",
    "laws": "laws:laws",
    "lint": "lint:lint",
    "log": "log:log",
    "schema": "schema:schema",
    "serve": "serve:serve",
    "test": "cases:test_command",
}
"""Each command's module (in this package) and object: a command's module, and what only
it needs, is imported when that command runs, so `ordinance check` starts fast
(docs/performance.md, cold start)."""


NO_CACHE_HELP = ("Parse and check the law files afresh instead of using the on-disk cache "
                 "of checked law sets (also: ORDINANCE_NO_CACHE=1).")


def _no_cache(_ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        os.environ["ORDINANCE_NO_CACHE"] = "1"


def no_cache_option() -> click.Option:
    """``--no-cache``, accepted by every command as well as before it."""
    return click.Option(["--no-cache"], is_flag=True, expose_value=False, is_eager=True,
                        callback=_no_cache, help=NO_CACHE_HELP)


class LazyGroup(click.Group):
    """A group whose commands are imported on first use (click's lazy-loading recipe)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command's name, for --help."""
        return sorted({*COMMANDS, *super().list_commands(ctx)})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command called ``cmd_name``, importing its module."""
        if cmd_name not in COMMANDS:
            return super().get_command(ctx, cmd_name)
        module, name = COMMANDS[cmd_name].split(":")
        command = getattr(importlib.import_module(f"{__package__}.{module}"), name)
        assert isinstance(command, click.Command)
        if not any("--no-cache" in param.opts for param in command.params):
            command.params.append(no_cache_option())
        return command


@click.group(cls=LazyGroup, epilog=EXIT_CODES_HELP,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="ordinance")
@click.option("--no-cache", is_flag=True, help=NO_CACHE_HELP)
def main(no_cache: bool) -> None:
    """Decide whether police and city data may be shared, and say why, citing the law.

    \b
    Try:
      ordinance check examples/release-date-state-prison-felony.yaml
      ordinance check request.yaml --format json
      ordinance explain request.yaml
      ordinance ask partial.yaml    # be asked only the facts that matter
      ordinance batch requests.jsonl --out decisions.jsonl
      ordinance serve --port 8080   # POST /v1/decide from any language
      ordinance docs --out site/ --lang es
      ordinance test            # run the cases kept beside each bundled law
      ordinance lint my-laws/   # check law files you are writing
    """
    if no_cache:
        os.environ["ORDINANCE_NO_CACHE"] = "1"


def run() -> None:
    """Entry point that turns an unexpected crash into a short message, not a traceback."""
    try:
        main(standalone_mode=True)
    except SystemExit:
        raise
    except Exception as error:  # noqa: BLE001 - last resort; set ORDINANCE_DEBUG to see it
        if os.environ.get("ORDINANCE_DEBUG"):
            raise
        click.echo(f"internal error: {type(error).__name__}: {error}\n"
                   "this is a bug in ordinance; rerun with ORDINANCE_DEBUG=1 for details",
                   err=True)
        sys.exit(70)
