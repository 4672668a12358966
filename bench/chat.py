"""Benchmark the chat's Socket.IO server against a bare Node socket.io broadcast server.

    .venv/bin/python bench/chat.py [--scenarios 100:50,500:5,500:20] [--duration 10] [--warmup 3]
    .venv/bin/python bench/chat.py --saturate 500 [--rates 20:300:10] [--stop-p99-ms 100]

A scenario `N:R` is N websocket clients (socket.io-client, all in one Node process, see
bench/chat_load.mjs) in one room, sending R messages per second in all, round-robin, so
every message is delivered to N clients. For each scenario it reports deliveries per
second in the measured window and the delay from send to delivery (p50, p99), first for
Scrapbook (one uvicorn process on a scratch SQLite database, with real JWTs, storage,
rate limit and presence), then for bench/chat_bare_server.mjs under the same load, and
the ratio of the two. Each client is its own user: the rate limit of 10 messages in
10 seconds per user then holds as long as R < N.

Saturation mode (--saturate N): N clients stay connected while the message rate climbs
step by step (--rates start:stop:step, messages/s); the ramp stops at the first step whose
p99 passes --stop-p99-ms or that loses or refuses a message. It reports every step and the
highest sustained deliveries/s of each server, and their ratio: a capacity, where the
scenarios only say whether both kept up with one offered load. The load generator's CPU is
reported too: on a small machine it competes with the server it measures.

Needs `make js-install` (socket.io and socket.io-client in tests/js/node_modules).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))

from tests.servers import free_port, serving  # noqa: E402

ROOM = "movie:tt0133093"


def scratch_environment(data_dir: Path) -> dict[str, str]:
    """The environment of a Scrapbook on a scratch SQLite file, with no Redis."""
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "scrapbook.settings",
            "SCRAPBOOK_DATA_DIR": str(data_dir),
            "SQLITE_PATH": str(data_dir / "bench.sqlite3"),
            # Production settings: DEBUG's query log and checks cost time on every message.
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "chat-benchmark-only-" + "x" * 40,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "JWT_ACCESS_MINUTES": "60",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


def make_tokens(env: dict[str, str], count: int) -> list[str]:
    """Migrate the scratch database, add the room's movie (a movie room must name one) and
    `count` users; return an access token for each."""
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=REPOSITORY, env=env, check=True
    )
    script = f"""
import json, django
django.setup()
from django.contrib.auth import get_user_model
from rest_framework_simplejwt.tokens import AccessToken
from movie_module.models import Movie
Movie.objects.get_or_create(imdb_id="{ROOM.removeprefix("movie:")}", defaults={{"title": "The Matrix"}})
User = get_user_model()
users = User.objects.bulk_create(
    User(username=f"bench{{n}}", email=f"bench{{n}}@example.com", password="!") for n in range({count})
)
print(json.dumps([str(AccessToken.for_user(user)) for user in users]))
"""
    output = subprocess.run(
        [sys.executable, "-c", script], cwd=REPOSITORY, env=env, check=True, capture_output=True, text=True
    )
    return json.loads(output.stdout)


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process and its children (uvicorn's workers) have used."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return own + sum(cpu_seconds(int(child)) for child in children)


def run_load(node: str, url: str, tokens_file: Path, rates: list[float], args, server_pid: int) -> list[dict]:
    """One connected load, a step per rate (the ramp stops at the first step over
    `args.stop_p99_ms` or losing messages); adds to each step's result the CPU time the
    server and the load generator used in its measured window."""
    options = {
        "url": url,
        "tokens_file": str(tokens_file),
        "room": ROOM,
        "rates": rates,
        "warmup": args.warmup,
        "duration": args.duration,
    }
    if args.stop_p99_ms is not None:
        options["stop_p99_ms"] = args.stop_p99_ms
    load = subprocess.Popen(
        [node, str(REPOSITORY / "bench" / "chat_load.mjs"), json.dumps(options)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    windows, start = [], None
    for line in load.stderr:
        mark = line.strip()
        if mark in {"window start", "window end"}:
            reading = (cpu_seconds(server_pid), cpu_seconds(load.pid), os.getloadavg()[0])
            if mark == "window start":
                start = reading
            else:
                windows.append((start, reading))
        else:
            sys.stderr.write(line)
    stdout, _ = load.communicate(timeout=120)
    if load.returncode != 0:
        raise RuntimeError(f"chat_load.mjs failed with code {load.returncode}")
    results = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    for result, (start, end) in zip(results, windows, strict=False):
        server_seconds = end[0] - start[0]
        result["server_cpu_share"] = round(server_seconds / args.duration, 2)
        result["load_generator_cpu_share"] = round((end[1] - start[1]) / args.duration, 2)
        deliveries = result["deliveries_per_second"] * args.duration
        result["server_cpu_us_per_delivery"] = (
            round(server_seconds / deliveries * 1e6, 1) if deliveries else None
        )
        result["load_average"] = round(max(start[2], end[2]), 1)
    return results


def sustained(result: dict, args) -> bool:
    """Whether a step kept up: nothing lost or refused, and p99 within the limit."""
    limit = args.stop_p99_ms if args.stop_p99_ms is not None else float("inf")
    return (
        result["lost"] == 0
        and not result["refusals"]
        and not result["ack_errors"]
        and result["p99_ms"] is not None
        and result["p99_ms"] <= limit
    )


def table(rows: list[tuple[str, dict, dict]]) -> str:
    lines = [
        "| clients | messages/s | server | deliveries/s | p50 ms | p99 ms | lost "
        "| server CPU µs per delivery | machine load | deliveries/s vs bare |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, ours, bare in rows:
        ratio = (
            ours["deliveries_per_second"] / bare["deliveries_per_second"]
            if bare["deliveries_per_second"]
            else 0
        )
        for label, result, shown_ratio in ((name, ours, f"{ratio:.2f}"), ("bare Node socket.io", bare, "")):
            cells = [
                result["clients"], f"{result['rate']:g}", label, result["deliveries_per_second"],
                result["p50_ms"], result["p99_ms"], result["lost"], result["server_cpu_us_per_delivery"],
                result["load_average"], shown_ratio,
            ]  # fmt: skip
            lines.append("| " + " | ".join(str(cell) for cell in cells) + " |")
    return "\n".join(lines)


def ramp_table(ramps: list[tuple[str, list[dict]]], args) -> str:
    lines = [
        "| server | messages/s | deliveries/s | p50 ms | p99 ms | lost | refused | server CPU "
        "| µs per delivery | load generator CPU | machine load | sustained |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for label, steps in ramps:
        for result in steps:
            cells = [
                label, f"{result['rate']:g}", result["deliveries_per_second"], result["p50_ms"],
                result["p99_ms"], result["lost"], sum(result["refusals"].values()) + result["ack_errors"],
                result["server_cpu_share"], result["server_cpu_us_per_delivery"],
                result["load_generator_cpu_share"], result["load_average"],
                "yes" if sustained(result, args) else "**no**",
            ]  # fmt: skip
            lines.append("| " + " | ".join(str(cell) for cell in cells) + " |")
    return "\n".join(lines)


def capacity_table(ramps: list[tuple[str, list[dict]]], args, clients: int) -> str:
    best = {
        label: max(
            (step for step in steps if sustained(step, args)),
            key=lambda step: step["deliveries_per_second"],
            default=None,
        )
        for label, steps in ramps
    }
    bare = best[ramps[-1][0]]
    lines = [
        f"| server ({clients} clients) | highest sustained messages/s | deliveries/s "
        "| p99 ms there | vs bare |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, step in best.items():
        if step is None:
            lines.append(f"| {label} | none | 0 | | 0 |")
            continue
        ratio = step["deliveries_per_second"] / bare["deliveries_per_second"] if bare else float("nan")
        cells = [label, f"{step['rate']:g}", step["deliveries_per_second"], step["p99_ms"], f"{ratio:.2f}"]
        lines.append("| " + " | ".join(str(cell) for cell in cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scenarios", default="100:50,500:5,500:20", help="clients:messages-per-second, ...")
    parser.add_argument("--duration", type=float, default=10, help="measured seconds per run")
    parser.add_argument("--warmup", type=float, default=3, help="seconds of load before measuring")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="uvicorn worker processes; more than one share Redis (--redis-url), as in production",
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/15")
    parser.add_argument(
        "--saturate", type=int, metavar="CLIENTS", help="ramp the rate with this many clients"
    )
    parser.add_argument("--rates", default="20:300:10", help="saturation ramp, start:stop:step messages/s")
    parser.add_argument(
        "--stop-p99-ms",
        type=float,
        default=None,
        help="a step above this p99 ends the ramp (saturation: 100)",
    )
    parser.add_argument(
        "--uvicorn-args",
        default="--ws-per-message-deflate false",
        help="extra options of Scrapbook's uvicorn (default: as `make serve` runs it)",
    )
    args = parser.parse_args()
    scenarios = [tuple(float(part) for part in item.split(":")) for item in args.scenarios.split(",")]
    scenarios = [(int(clients), rate) for clients, rate in scenarios]
    if args.saturate:
        scenarios = [(args.saturate, 0.0)]
        if args.stop_p99_ms is None:
            args.stop_p99_ms = 100.0
        start, stop, step = (float(part) for part in args.rates.split(":"))
        ramp = [start + step * index for index in range(int((stop - start) / step) + 1)]

    node = shutil.which("node")
    if node is None or not (REPOSITORY / "tests/js/node_modules/socket.io").is_dir():
        sys.exit("Needs node and `make js-install` (tests/js/node_modules).")

    with tempfile.TemporaryDirectory(prefix="scrapbook-chat-bench-") as scratch:
        data_dir = Path(scratch)
        env = scratch_environment(data_dir)
        label = "Scrapbook (uvicorn, 1 process)"
        if args.workers > 1:
            namespace = f"scrapbook-chat-bench-{os.getpid()}"
            env.update(
                {"REDIS_URL": args.redis_url, "CACHE_KEY_PREFIX": namespace, "SOCKETIO_CHANNEL": namespace}
            )
            label = f"Scrapbook (uvicorn, {args.workers} processes, Redis)"
        tokens = make_tokens(env, max(clients for clients, _ in scenarios))
        ours_port, bare_port = free_port(), free_port()
        ours_url, bare_url = f"http://127.0.0.1:{ours_port}", f"http://127.0.0.1:{bare_port}"
        ours_command = [
            sys.executable, "-m", "uvicorn", "scrapbook.asgi:application", "--host", "127.0.0.1",
            "--port", str(ours_port), "--log-level", "warning", "--no-access-log",
            "--workers", str(args.workers), *args.uvicorn_args.split(),
        ]  # fmt: skip
        bare_command = [node, str(REPOSITORY / "bench" / "chat_bare_server.mjs"), str(bare_port)]
        rows = []
        with (
            serving(ours_command, env=env, url=ours_url, stdout=subprocess.DEVNULL) as ours_server,
            serving(
                bare_command,
                env=env,
                url=bare_url,
                ready_path="/socket.io/?EIO=4&transport=polling",
                stdout=subprocess.DEVNULL,
            ) as bare_server,
        ):
            for clients, rate in scenarios:
                tokens_file = data_dir / f"tokens-{clients}.json"
                tokens_file.write_text(json.dumps(tokens[:clients]))
                if args.saturate:
                    ours = run_load(node, ours_url, tokens_file, ramp, args, ours_server.pid)
                    bare = run_load(node, bare_url, tokens_file, ramp, args, bare_server.pid)
                    print(json.dumps({"scrapbook": ours, "bare": bare}), file=sys.stderr)
                    ramps = [(label, ours), ("bare Node socket.io", bare)]
                    print(ramp_table(ramps, args) + "\n\n" + capacity_table(ramps, args, clients))
                    return
                [ours] = run_load(node, ours_url, tokens_file, [rate], args, ours_server.pid)
                [bare] = run_load(node, bare_url, tokens_file, [rate], args, bare_server.pid)
                print(json.dumps({"scrapbook": ours, "bare": bare}), file=sys.stderr)
                rows.append((label, ours, bare))
    print(table(rows))


if __name__ == "__main__":
    main()
