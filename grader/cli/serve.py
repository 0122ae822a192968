"""`grader serve`: the student's self-check page on a local web server."""

from __future__ import annotations

import errno
import ipaddress
import os
import signal
import socket
import threading
from pathlib import Path
from typing import Any

import click

from ..errors import GraderError
from ..io.catalog import load_folder
from .common import model_option, time_limit_option

LOOPBACK_NAMES = ["localhost", "127.0.0.1", "::1", "[::1]"]
SHUTDOWN_SECONDS = 10


class _Terminated(BaseException):
    """SIGTERM, raised in the main thread so that the server stops as on Ctrl-C."""


@click.command(short_help="Serve the self-check web page.")
@click.option(
    "--rubrics",
    "rubrics_dir",
    type=click.Path(path_type=Path),
    default=Path("rubrics"),
    show_default=True,
    help="Folder of rubric .yaml files; its questions are the ones offered.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port (0: any free one)."
)
@time_limit_option
@model_option
def serve(rubrics_dir: Path, host: str, port: int, time_limit: float, model: str | None) -> None:
    """Serve the self-check page: pick a question, write an answer, see what it shows.

    Loads the spaCy pipeline and every rubric of the folder first, then prints
    the address to open. Answers are checked on this computer and never logged;
    a check that runs past --time-limit is stopped (the page says so) and the
    server carries on. Ctrl+C stops the server.
    """
    if not rubrics_dir.is_dir():
        raise GraderError(
            f"{rubrics_dir}: no such rubric folder; run grader serve from the project folder "
            "or give one with --rubrics DIR"
        )
    rubrics = load_folder(rubrics_dir)
    sock = _bind(host, port)  # before the slow part, so a busy port fails at once
    try:
        import uvicorn

        from ..web import create_app
        from ..web.runner import MainThreadRunner

        loopback = _is_loopback(host)
        runner = MainThreadRunner(time_limit or None)
        app = create_app(
            rubrics, model=model, allowed_hosts=LOOPBACK_NAMES if loopback else None, runner=runner
        )
        bound_host, bound_port = sock.getsockname()[:2]
        shown = f"[{bound_host}]" if ":" in bound_host else bound_host
        click.echo(f"grader: {len(rubrics)} question(s) from {rubrics_dir}/")
        if not loopback:
            click.echo(
                f"grader: warning: listening on {host}: other computers on the network can open this page",
                err=True,
            )
        click.echo(f"grader: open http://{shown}:{bound_port}/ in your browser (Ctrl+C stops)", nl=True)
        config = uvicorn.Config(app, log_level="info", access_log=True, server_header=False)
        server = uvicorn.Server(config)
        _run(server, sock, runner)
    finally:
        sock.close()


def _run(server: Any, sock: socket.socket, runner: Any) -> None:
    """HTTP in a thread, checks in this (the main) thread; Ctrl-C and SIGTERM stop both."""
    web = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="http", daemon=True)

    def on_term(signum: int, frame: Any) -> None:
        raise _Terminated

    previous = signal.signal(signal.SIGTERM, on_term)
    web.start()
    try:
        runner.serve(web.is_alive)
    except (KeyboardInterrupt, _Terminated) as stop:
        server.should_exit = True
        runner.stop()
        web.join(SHUTDOWN_SECONDS)
        if isinstance(stop, _Terminated):
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)  # exit as a process stopped by SIGTERM
        raise KeyboardInterrupt from None
    finally:
        signal.signal(signal.SIGTERM, previous)
    # the server stopped by itself (it could not start, for one)
    runner.stop()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _bind(host: str, port: int) -> socket.socket:
    host = host.strip("[]")
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        info = socket.getaddrinfo(host, port, family if ":" in host else socket.AF_UNSPEC, socket.SOCK_STREAM)
    except socket.gaierror:
        raise GraderError(f"--host {host}: not an address of this computer; try 127.0.0.1") from None
    family, kind, proto, _, addr = info[0]
    # proto must say TCP: asyncio only turns Nagle off (TCP_NODELAY) on sockets that do,
    # and with Nagle on a keep-alive request waits ~40 ms for a delayed ACK
    sock = socket.socket(family, kind, proto or socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(addr)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise GraderError(
                f"port {port} on {host} is already in use (is grader serve already running?); "
                "pick another with --port"
            ) from None
        raise GraderError(f"cannot listen on {host}:{port} ({exc.strerror}); try --host 127.0.0.1") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock
