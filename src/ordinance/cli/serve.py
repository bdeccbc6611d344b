"""``ordinance serve``: the HTTP/JSON service (see :mod:`ordinance.service.server`)."""

from __future__ import annotations

import errno
import os
import socket
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..language.errors import LogError
from .common import ORDINANCES_OPTION, CannotRun, InvalidInput, load_laws

if TYPE_CHECKING:
    from ..service.decisionlog import DecisionLog

# The server module (and Starlette) is imported only when `serve` runs, so the other
# commands start fast; these mirror server.DEFAULT_MAX_BODY and server.MAX_LIST (a test
# checks that they agree).
DEFAULT_MAX_BODY = 1_000_000
MAX_LIST = 1000


def _open_log(path: Path) -> DecisionLog:
    """Open the decision log, refusing up front a path that cannot be written."""
    if path.is_dir():
        raise InvalidInput(f"error: cannot use the decision log {path}: it is a directory")
    parent = path.parent if str(path.parent) else Path(".")
    if path.exists() and not os.access(path, os.W_OK):
        raise InvalidInput(f"error: cannot write to the decision log {path}: permission denied")
    if parent.is_dir() and not os.access(parent, os.W_OK | os.X_OK):
        # SQLite's write-ahead log needs to create files beside the database.
        raise InvalidInput(f"error: cannot write to the decision log {path}: its directory "
                           f"{parent} is not writable")
    from ..service.decisionlog import DecisionLog, subject_policy_from_env

    try:
        return DecisionLog(path, subject=subject_policy_from_env())
    except LogError as error:
        raise InvalidInput(f"error: {error}") from None


SERVE_HELP = f"""Serve decisions over HTTP/JSON until interrupted (Ctrl-C).

\b
GET  /             the intake page for people (a form that asks only what
                   matters, then the memo), in English and Spanish
POST /v1/decide    one request (JSON object) or a list of up to {MAX_LIST}
GET  /v1/schema    the JSON Schema of a request
GET  /v1/laws      the laws of the set
GET  /healthz      liveness and the law set's digest
GET  /openapi.json the OpenAPI 3.1 description
POST /v1/reload    reload the law set (only with --allow-reload, and the
                   token of ORDINANCE_RELOAD_TOKEN as a Bearer header)

SIGHUP reloads the law set from --ordinances: a set that fails to check
is refused (its errors go to stderr) and the old one keeps serving;
requests in flight finish on the set they started with.

Errors are JSON: 400 bad JSON, 413 body too large, 415 not
application/json, 422 invalid request (naming each field), 503 the
decision log cannot be written, or the service is busy (--max-concurrent,
--max-queue, --max-light, --max-connections), or a decision is over
--time-budget, or the service is stopping (--grace); 429 past --rate;
421 a Host not allowed (--allowed-host); 408 headers or a body too slow
(--header-timeout, --body-timeout). An unwritable --log exits 5 at
start; a port that cannot be listened on (in use, or not allowed) exits 2.
Bounds and what is past them: docs/limits.md.

\b
Example:
  ordinance serve --port 8080 --log decisions.sqlite
  curl -s localhost:8080/v1/decide -H 'Content-Type: application/json' \\
       -d @request.json
"""


@click.command(help=SERVE_HELP)
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on (0.0.0.0 for every interface).")
@click.option("--port", type=click.IntRange(1, 65535), default=8080, show_default=True)
@ORDINANCES_OPTION
@click.option("--max-body", "max_body", type=click.IntRange(min=1), default=DEFAULT_MAX_BODY,
              show_default=True, metavar="BYTES",
              help="Largest request body accepted; larger bodies get 413.")
@click.option("--log", "log_path", type=click.Path(path_type=Path), default=None,
              metavar="PATH",
              help="SQLite decision log: every decision is committed to it before it is "
                   "answered (503 when it cannot be); its rows are chained under a secret "
                   "key when ORDINANCE_LOG_KEY is set (see `ordinance log --help`).")
@click.option("--allow-reload", is_flag=True,
              help="Enable POST /v1/reload, for callers that send `Authorization: Bearer "
                   "$ORDINANCE_RELOAD_TOKEN` (the variable must be set). SIGHUP always "
                   "reloads.")
@click.option("--max-concurrent", type=click.IntRange(min=1), default=4, show_default=True,
              help="Heavy calls (lists of requests, bodies over 4 KiB) worked out at once; "
                   "more wait in a queue, served in turn by client address.")
@click.option("--max-queue", type=click.IntRange(min=0), default=32, show_default=True,
              help="Heavy calls waiting for a slot; past this, 503 at once.")
@click.option("--max-light", type=click.IntRange(min=1), default=2, show_default=True,
              help="Light calls (one request in a body of at most 4 KiB, an intake page "
                   "step) worked out at once, in a lane of their own so they never wait "
                   "behind heavy calls; up to 64 more wait, in turn by client.")
@click.option("--time-budget", type=click.FloatRange(min=0.1), default=20.0,
              show_default=True, metavar="SECONDS",
              help="A call's time to decide; past it the answer is 503 and a list stops "
                   "before its next request (one decision under way is finished, and "
                   "counts against the cap until then).")
@click.option("--rate", type=click.FloatRange(min=0.1), default=100.0, show_default=True,
              help="Deciding calls per second per client address (bursts of twice as "
                   "many); past it, 429.")
@click.option("--max-connections", type=click.IntRange(min=1), default=256,
              show_default=True,
              help="Open connections; one past this is answered 503 and closed as soon "
                   "as it is accepted. Lowered, with a warning, to fit the open-file "
                   "limit (which is raised to its hard limit).")
@click.option("--max-connections-per-client", "per_client", type=click.IntRange(min=1),
              default=32, show_default=True,
              help="Open connections from one client address; one past this is answered "
                   "503 and closed as soon as it is accepted.")
@click.option("--header-timeout", type=click.FloatRange(min=0.1), default=10.0,
              show_default=True, metavar="SECONDS",
              help="Time for a request's line and headers to arrive, from the connection's "
                   "start or the previous answer; past it, 408 and the connection closed.")
@click.option("--body-timeout", type=click.FloatRange(min=0.1), default=30.0,
              show_default=True, metavar="SECONDS",
              help="Time for a request's body to arrive after its headers; past it, 408 "
                   "and the connection closed.")
@click.option("--grace", type=click.IntRange(min=0), default=10, show_default=True,
              metavar="SECONDS",
              help="On SIGTERM or Ctrl-C, time given to calls in flight; then their work "
                   "is told to stop (a list before its next request) and the process ends.")
@click.option("--allowed-host", "allowed_hosts", multiple=True, metavar="NAME",
              help="A Host name the service answers (repeatable); by default the address "
                   "listened on and localhost. Others get 421.")
def serve(host: str, port: int, ordinances: Path | None, max_body: int,
          log_path: Path | None, allow_reload: bool, max_concurrent: int, max_queue: int,
          max_light: int, time_budget: float, rate: float, max_connections: int,
          per_client: int, header_timeout: float, body_timeout: float, grace: int,
          allowed_hosts: tuple[str, ...]) -> None:
    import uvicorn

    from ..engine.lawset import OrdinanceSet, load
    from ..service.connections import guarded_protocol
    from ..service.limits import Limits, default_hosts
    from ..service.server import create_app

    token = os.environ.get("ORDINANCE_RELOAD_TOKEN", "") or None
    if allow_reload and token is None:
        raise CannotRun("error: --allow-reload needs a token: set ORDINANCE_RELOAD_TOKEN to a "
                        "secret, and send it as `Authorization: Bearer <token>`")
    laws = load_laws(ordinances)
    log = _open_log(log_path) if log_path is not None else None

    def reload() -> OrdinanceSet:
        return load(ordinances)

    limits = Limits(concurrent=max_concurrent, queue=max_queue, light_concurrent=max_light,
                    seconds=time_budget,
                    rate=rate, burst=max(1, int(rate * 2)))
    app = create_app(laws, max_body=max_body, log=log, reload=reload,
                     reload_endpoint=allow_reload, sighup=True, limits=limits,
                     hosts=(*default_hosts(host), *allowed_hosts),
                     reload_token=token if allow_reload else None)
    max_connections = _fit_open_files(max_connections)
    shown = f"[{host}]" if ":" in host else host
    try:
        listening = listen(host, port)
    except OSError as error:
        if log is not None:
            log.close()
        raise CannotRun(
            f"error: cannot listen on {shown}:{port}: {error.strerror or error}"
            + (" (another program holds the port; choose another with --port)"
               if error.errno == errno.EADDRINUSE else "")) from None
    click.echo(f"ordinance: serving {len(laws.model.laws)} laws ({laws.digest}) on "
               f"http://{shown}:{port}/"
               + (f", logging decisions to {log_path}" if log_path is not None else ""))
    try:
        server = uvicorn.Server(uvicorn.Config(
            app, host=host, port=port, log_level="warning",
            http=guarded_protocol(header_timeout=header_timeout, body_timeout=body_timeout,
                                  max_connections=max_connections, per_client=per_client),
            backlog=ACCEPT_BACKLOG,
            limit_concurrency=max_connections,  # connections and tasks; past it, 503
            timeout_keep_alive=5,  # an idle kept-alive connection is closed after 5 s
            timeout_graceful_shutdown=grace,  # SIGTERM: calls in flight get this long
            h11_max_incomplete_event_size=64 * 1024))  # request line and headers
        server.run(sockets=[listening])
    finally:
        listening.close()
        if log is not None:
            log.close()


ACCEPT_BACKLOG = 128
"""Connections waiting to be accepted, and accepted at a time: asyncio accepts up to this
many at once before the ones past the cap are closed, so it bounds the descriptors open
above the cap."""

FILES_KEPT_BACK = 64 + 3 * ACCEPT_BACKLOG
"""Open files left, when the connection cap is fitted to the open-file limit, for the
service's own use (the laws, the log) and for connections accepted but not yet closed
at the cap (a few batches of :data:`ACCEPT_BACKLOG`)."""


def _fit_open_files(max_connections: int) -> int:
    """The connection cap, lowered when the process's open-file limit (first raised to
    its hard limit) would not hold that many connections, so that accepting one never
    fails for lack of a file descriptor."""
    try:
        import resource
    except ImportError:  # not on POSIX: nothing to fit
        return max_connections
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != resource.RLIM_INFINITY and (hard == resource.RLIM_INFINITY or hard > soft):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY or max_connections + FILES_KEPT_BACK <= soft:
        return max_connections
    fitted = max(1, soft - FILES_KEPT_BACK)
    click.echo(f"ordinance: warning: the open-file limit is {soft}, so at most {fitted} "
               f"connections are held, not {max_connections}", err=True)
    return fitted


def listen(host: str, port: int) -> socket.socket:
    """A socket bound to ``host:port`` and listening, handed to the server: binding here
    first means a busy port is reported before the service says it is serving."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not the default 0: asyncio turns Nagle's algorithm off (TCP_NODELAY)
    # only on sockets that say they are TCP, and with it on every kept-alive answer
    # waited ~40 ms for the client's delayed acknowledgement.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(ACCEPT_BACKLOG)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock
