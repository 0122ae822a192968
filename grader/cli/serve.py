"""`grader serve`: the student's self-check page on a local web server."""

from __future__ import annotations

import errno
import ipaddress
import socket
from pathlib import Path

import click

from ..catalog import load_folder
from ..errors import GraderError
from .common import model_option

LOOPBACK_NAMES = ["localhost", "127.0.0.1", "::1", "[::1]"]


@click.command()
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
@model_option
def serve(rubrics_dir: Path, host: str, port: int, model: str | None) -> None:
    """Serve the self-check page: pick a question, write an answer, see what it proves.

    Loads the spaCy pipeline and every rubric of the folder first, then prints
    the address to open. Answers are checked on this computer and never logged.
    Ctrl+C stops the server.
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

        loopback = _is_loopback(host)
        app = create_app(rubrics, model=model, allowed_hosts=LOOPBACK_NAMES if loopback else None)
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
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()


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
