"""Benchmark the chat's Socket.IO server against a bare Node socket.io broadcast server.

    .venv/bin/python bench/chat.py [--scenarios 100:50,500:5,500:20] [--duration 10] [--warmup 3]

A scenario `N:R` is N websocket clients (socket.io-client, all in one Node process, see
bench/chat_load.mjs) in one room, sending R messages per second in all, round-robin, so
every message is delivered to N clients. For each scenario it reports deliveries per
second in the measured window and the delay from send to delivery (p50, p99), first for
Scrapbook (one uvicorn process on a scratch SQLite database, with real JWTs, storage,
rate limit and presence), then for bench/chat_bare_server.mjs under the same load, and
the ratio of the two. Each client is its own user: the rate limit of 10 messages in
10 seconds per user then holds as long as R < N.

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


def run_load(
    node: str, url: str, tokens_file: Path, clients: int, rate: float, args, server_pid: int
) -> dict:
    """One load run; adds the server's CPU time within the measured window to the result."""
    options = {
        "url": url,
        "tokens_file": str(tokens_file),
        "room": ROOM,
        "rate": rate,
        "warmup": args.warmup,
        "duration": args.duration,
    }
    load = subprocess.Popen(
        [node, str(REPOSITORY / "bench" / "chat_load.mjs"), json.dumps(options)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    window_cpu, load_average = {}, {}
    for line in load.stderr:
        if line.strip() in {"window start", "window end"}:
            window_cpu[line.strip()] = cpu_seconds(server_pid)
            load_average[line.strip()] = os.getloadavg()[0]
        else:
            sys.stderr.write(line)
    stdout, _ = load.communicate(timeout=120)
    if load.returncode != 0:
        raise RuntimeError(f"chat_load.mjs failed with code {load.returncode}")
    result = json.loads(stdout)
    window_cpu_seconds = window_cpu["window end"] - window_cpu["window start"]
    result["server_cpu_share"] = round(window_cpu_seconds / args.duration, 2)
    deliveries = result["deliveries_per_second"] * args.duration
    result["server_cpu_us_per_delivery"] = (
        round(window_cpu_seconds / deliveries * 1e6, 1) if deliveries else None
    )
    result["load_average"] = round(max(load_average.values()), 1)
    return result


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
        "--uvicorn-args",
        default="--ws-per-message-deflate false",
        help="extra options of Scrapbook's uvicorn (default: as `make serve` runs it)",
    )
    args = parser.parse_args()
    scenarios = [tuple(float(part) for part in item.split(":")) for item in args.scenarios.split(",")]
    scenarios = [(int(clients), rate) for clients, rate in scenarios]

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
                ours = run_load(node, ours_url, tokens_file, clients, rate, args, ours_server.pid)
                bare = run_load(node, bare_url, tokens_file, clients, rate, args, bare_server.pid)
                print(json.dumps({"scrapbook": ours, "bare": bare}), file=sys.stderr)
                rows.append((label, ours, bare))
    print(table(rows))


if __name__ == "__main__":
    main()
