"""API latency under load while a simulated session trades: p50/p99/max of two endpoints.

    .venv/bin/python bench/api_load.py [--rate 200] [--seconds 20] [--speed 600]

Starts `scalpbot serve` as its own process (a fresh home in a temporary folder, a password set
with `scalpbot admin set-password --password-stdin`, a paper session on the simulated market at
`--speed` times real time), logs in, then fires requests from this process at `--rate` per
second for `--seconds`, alternating `GET /api/status` and `GET /api/positions`. The schedule
is open-loop: request i is sent at start + i/rate whether or not earlier answers have come
back, so a slow server shows up as latency instead of being hidden by a client that waits.
Latency is measured from the scheduled send time to the end of the response body (it includes
this client's own overhead, so it is an upper bound of the server's).

Target: p99 under 50 ms for both endpoints.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

SCALPBOT = [sys.executable, "-m", "scalpbot"]
PATHS = ("/api/status", "/api/positions")
TARGET_P99_MS = 50.0
PASSWORD = "bench password, long enough"


def start_server(home: Path, speed: float) -> tuple[subprocess.Popen[str], str]:
    subprocess.run([*SCALPBOT, "init", "--home", str(home)], check=True, capture_output=True)
    subprocess.run(
        [*SCALPBOT, "admin", "set-password", "--home", str(home), "--password-stdin"],
        input=PASSWORD + "\n",
        text=True,
        check=True,
        capture_output=True,
    )
    process = subprocess.Popen(
        [*SCALPBOT, "serve", "--home", str(home), "--port", "0", "--speed", str(speed)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        found = re.match(r"dashboard: (http://\S+)", line)
        if found:
            return process, found.group(1)
        if not line:
            break
    process.kill()
    raise SystemExit("scalpbot serve did not start")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


async def load(url: str, token: str, rate: float, seconds: float) -> dict[str, list[float]]:
    latencies: dict[str, list[float]] = {path: [] for path in PATHS}
    errors: dict[str, int] = {path: 0 for path in PATHS}
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        base_url=url, headers=headers, limits=limits, timeout=10, trust_env=False
    ) as client:
        for path in PATHS:  # open the connections and warm the server's caches
            await client.get(path)

        async def one(path: str, due: float) -> None:
            try:
                response = await client.get(path)
                response.read()
                if response.status_code != 200:
                    errors[path] += 1
                    return
            except httpx.HTTPError:
                errors[path] += 1
                return
            latencies[path].append((time.perf_counter() - due) * 1000)

        total = int(rate * seconds)
        start = time.perf_counter()
        tasks = []
        for i in range(total):
            due = start + i / rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(PATHS[i % len(PATHS)], due)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
    for path in PATHS:
        if errors[path]:
            print(f"  {path}: {errors[path]} failed requests")
    print(f"sent {total} requests in {elapsed:.1f} s ({total / elapsed:.0f}/s)")
    return latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=200.0, help="requests per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to load")
    parser.add_argument("--speed", type=float, default=600.0, help="simulated market speed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="scalpbot-bench-") as folder:
        process, url = start_server(Path(folder) / "home", args.speed)
        try:
            with httpx.Client(base_url=url, timeout=30, trust_env=False) as client:
                login = client.post("/api/login", json={"username": "admin", "password": PASSWORD})
                login.raise_for_status()
                token = login.json()["token"]
                bearer = {"Authorization": f"Bearer {token}"}
                time.sleep(2)  # let the session warm up its strategies
                before = client.get("/api/pnl", headers=bearer).json()
                latencies = asyncio.run(load(url, token, args.rate, args.seconds))
                after = client.get("/api/pnl", headers=bearer).json()
                status = client.get("/api/status", headers=bearer).json()
        finally:
            process.terminate()
            process.wait(timeout=60)
    print(
        f"session meanwhile: {status['state']} at {status['session']['clock']}, trades "
        f"{before['trades']} -> {after['trades']}, equity {after['equity']}, "
        f"{status['session']['open_positions']} open positions"
    )
    print(f"{'endpoint':<16}{'requests':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'mean ms':>9}")
    met = True
    for path, values in latencies.items():
        if not values:
            print(f"{path:<16}{0:>9}")
            met = False
            continue
        p50, p99 = percentile(values, 0.50), percentile(values, 0.99)
        met = met and p99 < TARGET_P99_MS
        print(
            f"{path:<16}{len(values):>9}{p50:>9.2f}{p99:>9.2f}{max(values):>9.2f}"
            f"{statistics.fmean(values):>9.2f}"
        )
    load_avg = os.getloadavg() if hasattr(os, "getloadavg") else None
    if load_avg:
        print(f"load average: {load_avg[0]:.2f} {load_avg[1]:.2f} {load_avg[2]:.2f}")
    print(f"target p99 < {TARGET_P99_MS:.0f} ms: {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
