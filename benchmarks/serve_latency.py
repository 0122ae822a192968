"""Latency of `grader serve` under a classroom's worth of students checking at once.

Starts `grader serve --port 0` on 127.0.0.1, sends realistic answers (every
rubric's examples, matched to their rubric, and the bundled samples) to
POST /api/check, first from one client, then from 10 concurrent clients, and
prints for each phase the median and 95th-percentile latency seen by the
clients, the server's own check time (its Server-Timing header), the
throughput and the error count. The server is stopped at the end.

    .venv/bin/python benchmarks/serve_latency.py [--requests 300] [--clients 10]
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from grader.io.catalog import load_folder

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 30.0  # seconds for one request; a slower one counts as an error


def workload() -> list[tuple[str, str]]:
    """(rubric id, answer) pairs: every rubric's examples and the samples filed under its name."""
    rubrics = load_folder(ROOT / "rubrics")
    pairs = [(rid, ex.answer) for rid, r in rubrics.items() for ex in r.examples if ex.answer.strip()]
    for rid in rubrics:
        folder = ROOT / "samples" / rid.split("/")[-1]
        pairs += [(rid, p.read_text("utf-8")) for p in sorted(folder.glob("*.txt"))]
    return pairs


class Server:
    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "grader.cli.main",
                "serve",
                "--port",
                "0",
                "--rubrics",
                str(ROOT / "rubrics"),
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.port = 0
        started = time.monotonic()
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            m = re.search(r"open http://127\.0\.0\.1:(\d+)/", line)
            if m:
                self.port = int(m.group(1))
                break
            if time.monotonic() - started > 120:
                break
        if not self.port:
            self.stop()
            raise SystemExit("grader serve did not start")
        self.startup = time.monotonic() - started
        # keep reading its log so the pipe never fills
        threading.Thread(target=lambda: [None for _ in self.proc.stdout or []], daemon=True).start()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def run_phase(port: int, jobs: list[tuple[str, str]], clients: int) -> dict[str, object]:
    latencies: list[float] = []
    server_ms: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    queue = iter(jobs)

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        while True:
            with lock:
                job = next(queue, None)
            if job is None:
                break
            # bytes, so that http.client sends headers and body in one packet (no Nagle stall)
            body = json.dumps({"rubric": job[0], "answer": job[1]}).encode()
            t0 = time.perf_counter()
            try:
                conn.request("POST", "/api/check", body, {"Content-Type": "application/json"})
                resp = conn.getresponse()
                resp.read()
                took = time.perf_counter() - t0
                timing = re.search(r"dur=([\d.]+)", resp.getheader("Server-Timing") or "")
                with lock:
                    if resp.status == 200:
                        latencies.append(took)
                        if timing:
                            server_ms.append(float(timing.group(1)))
                    else:
                        errors.append(f"HTTP {resp.status}")
            except (OSError, http.client.HTTPException) as exc:
                with lock:
                    errors.append(type(exc).__name__)
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    return {"latencies": latencies, "server_ms": server_ms, "errors": errors, "wall": wall, "n": len(jobs)}


def p95(xs: list[float]) -> float:
    return statistics.quantiles(xs, n=20, method="inclusive")[-1] if len(xs) > 1 else (xs[0] if xs else 0.0)


def report(name: str, clients: int, r: dict) -> float:
    lat = [x * 1000 for x in r["latencies"]]
    srv = r["server_ms"]
    med = statistics.median(lat) if lat else float("nan")
    rate = r["n"] / r["wall"]
    print(f"{name}: {r['n']} requests from {clients} client(s) in {r['wall']:.2f} s ({rate:.0f} req/s)")
    worst = max(lat, default=0)
    print(f"  latency at the client: median {med:.1f} ms, p95 {p95(lat):.1f} ms, max {worst:.1f} ms")
    if srv:
        print(f"  check time on the server: median {statistics.median(srv):.1f} ms, p95 {p95(srv):.1f} ms")
    print(
        f"  errors: {len(r['errors'])}" + (f" ({', '.join(sorted(set(r['errors'])))})" if r["errors"] else "")
    )
    return med


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=300, help="requests in the concurrent phase (max 5000)")
    ap.add_argument("--clients", type=int, default=10, help="concurrent clients (max 50)")
    args = ap.parse_args()
    n = max(1, min(args.requests, 5000))
    clients = max(1, min(args.clients, 50))

    pairs = workload()
    words = statistics.mean(len(a.split()) for _, a in pairs)
    n_rubrics = len({r for r, _ in pairs})
    print(f"workload: {len(pairs)} distinct answers over {n_rubrics} rubrics, {words:.0f} words on average")
    server = Server()
    try:
        print(f"server ready {server.startup:.1f} s after start (pipeline loaded, rubrics compiled)")
        run_phase(server.port, pairs[:20], 1)  # warm-up, not counted
        single = run_phase(server.port, list(itertools.islice(itertools.cycle(pairs), 60)), 1)
        many = run_phase(server.port, list(itertools.islice(itertools.cycle(pairs), n)), clients)
        base = report("one client", 1, single)
        busy = report("concurrent", clients, many)
        print(f"  median latency with {clients} clients / with 1 client: {busy / base:.1f}x")
    finally:
        server.stop()
    if many["errors"] or single["errors"]:
        sys.exit(1)


if __name__ == "__main__":
    main()
