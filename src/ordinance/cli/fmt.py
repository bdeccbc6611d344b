"""``ordinance fmt``: rewrite law files in the canonical layout (:mod:`ordinance.language.fmt`)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from .common import EXIT_INVALID


@click.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--check", is_flag=True,
              help="Change nothing; list the files that are not in the canonical layout and "
                   "exit 1 if there is any.")
@click.option("--diff", "show_diff", is_flag=True,
              help="Change nothing; print what formatting would change, as a unified diff.")
def fmt(paths: tuple[Path, ...], check: bool, show_diff: bool) -> None:
    """Lay out law files (.ord) the canonical way, keeping every comment.

    PATH is a .ord file or a directory (every .ord file below it); `-` reads
    one file from standard input and writes it formatted to standard output.
    At least one PATH is needed: `ordinance fmt .` formats the current directory.

    Only whitespace changes: one field per line indented 2 spaces, one space
    between words, one blank line around brace blocks, comments kept where they
    are. Strings, the section text above all, are copied exactly as written.
    Where you broke a line before a translation (`es "..."`), before `and` /
    `or` in a condition or before `because`, the break is kept and indented;
    other line breaks inside a field are removed (docs/language.md, Formatting).

    Files are rewritten in place (atomically); a file with a syntax error is
    left untouched and its error printed (exit 5). With --check or --diff no
    file is changed.

    \b
    Exit codes:
      0  done (with --check: every file already formatted)
      1  --check: some files would be reformatted (they are listed)
      2  usage error (no PATH, a path that does not exist)
      5  a file does not parse or cannot be read (it is left as it was)

    \b
    Examples:
      ordinance fmt ordinances/
      ordinance fmt --check ordinances/          # in CI
      ordinance fmt --diff my-law.ord
      ordinance fmt - < my-law.ord > formatted.ord
    """
    import difflib  # here, not at the top: `ordinance check` must not import them

    from ..language.errors import LawError
    from ..language.fmt import format_source

    if not paths:
        raise click.UsageError("give the .ord files or directories to format, e.g. "
                               "`ordinance fmt ordinances/` (or `-` for standard input)")
    failed = False
    would_change: list[str] = []
    for path, display in _files(paths):
        text = _read(path, display)
        if text is None:
            failed = True
            continue
        try:
            formatted = format_source(text, display)
        except LawError as error:
            click.echo(error.render(), err=True)
            failed = True
            continue
        if path == Path("-") and not (check or show_diff):
            click.echo(formatted, nl=False)
            continue
        if formatted == text:
            continue
        would_change.append(display)
        if show_diff:
            click.echo("".join(difflib.unified_diff(
                text.splitlines(keepends=True), formatted.splitlines(keepends=True),
                f"{display} (original)", f"{display} (formatted)")), nl=False)
        elif check:
            click.echo(f"would reformat {display}")
        else:
            _write(path, formatted)
            click.echo(f"reformatted {display}", err=True)
    if failed:
        sys.exit(EXIT_INVALID)
    if check and would_change:
        click.echo(f"{len(would_change)} file{'s' if len(would_change) != 1 else ''} "
                   "would be reformatted", err=True)
        sys.exit(1)


def _files(paths: tuple[Path, ...]) -> list[tuple[Path, str]]:
    """The files to format, with the name to show for each."""
    from ..engine.lawset import law_files

    out: list[tuple[Path, str]] = []
    for path in paths:
        if path == Path("-"):
            out.append((path, "<stdin>"))
        elif path.is_dir():
            out.extend((file, str(file)) for file in law_files(path))
        elif path.exists():
            out.append((path, str(path)))
        else:
            raise click.BadParameter(f"`{path}` does not exist", param_hint="PATH")
    return out


def _read(path: Path, display: str) -> str | None:
    """The file's text, or None after printing why it cannot be read."""
    try:
        data = sys.stdin.buffer.read() if path == Path("-") else path.read_bytes()
    except OSError as error:
        click.echo(f"{display}: error: cannot read the file: {error.strerror}", err=True)
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        click.echo(f"{display}: error: the file is not UTF-8 text (byte {error.start})",
                   err=True)
        return None


def _write(path: Path, text: str) -> None:
    """Replace the file's content atomically (a temporary file, then a rename)."""
    import tempfile

    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                         suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.chmod(temporary, path.stat().st_mode & 0o7777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
