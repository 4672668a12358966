"""What the PostgreSQL pool's check costs each request: psycopg_pool's, against the quiet one.

    .venv/bin/python bench/pool_check.py [--database-url postgres://postgres@127.0.0.1:5432/test]
        [--lends 5000] [--rounds 3]

Every request on PostgreSQL takes a connection from the pool at its first query and gives it
back at its end. Before lending it, the pool runs its check: psycopg_pool's (Django's, with
CONN_HEALTH_CHECKS) sends an empty query, a round trip; the quiet one
(scrapbook/internals/psycopg_pool_check.py) asks the server only when its socket has
something to read. This lends `--lends` connections through Django (`ensure_connection`,
`close`, as a request does) with each check in turn, `--rounds` times, and prints the wall
and CPU time per lend of each and the empty queries PostgreSQL received
and PostgreSQL's CPU time per lend (all its processes, read from /proc: run it on a quiet
machine).
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))


def postgresql_cpu_seconds() -> float:
    """CPU time of every PostgreSQL process on this machine, from /proc (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        try:
            if not entry.name.isdigit() or (entry / "comm").read_text().strip() not in {
                "postgres",
                "postmaster",
            }:
                continue
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def lend(connection, lends: int) -> tuple[float, float]:
    """(wall µs, CPU µs) per lend of a connection from the pool and its return."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(lends):
        connection.ensure_connection()
        connection.close()
    return (time.perf_counter() - wall) / lends * 1e6, (time.process_time() - cpu) / lends * 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/test")
    parser.add_argument("--lends", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    os.environ.update(DATABASE_URL=arguments.database_url, DJANGO_SETTINGS_MODULE="scrapbook.settings")
    import django

    django.setup()
    from django.db import connection
    from django.db.backends.signals import connection_created
    from psycopg_pool import ConnectionPool

    from scrapbook.internals.psycopg_pool_check import check_connection_unless_quiet

    connection.ensure_connection()
    connection.close()
    # Each check is set below; the boundary would set its own again on each lend.
    connection_created.disconnect(dispatch_uid="psycopg_pool_quiet_check")
    checks = {
        "psycopg_pool's check": ConnectionPool.check_connection,
        "quiet check": check_connection_unless_quiet,
    }
    figures = {name: [] for name in checks}
    server = {name: [] for name in checks}
    for _ in range(arguments.rounds):
        for name, check in checks.items():
            connection.pool._check = check  # what the boundary sets, set here for each run
            before = postgresql_cpu_seconds()
            figures[name].append(lend(connection, arguments.lends))
            server[name].append((postgresql_cpu_seconds() - before) / arguments.lends * 1e6)
    print(f"{arguments.lends} lends × {arguments.rounds} rounds, median of the rounds\n")
    print("| check | wall µs per lend | CPU µs per lend | PostgreSQL's CPU µs per lend |")
    print("|---|---:|---:|---:|")
    for name in checks:
        wall = statistics.median(figure[0] for figure in figures[name])
        cpu = statistics.median(figure[1] for figure in figures[name])
        print(f"| {name} | {wall:.0f} | {cpu:.0f} | {statistics.median(server[name]):.0f} |")


if __name__ == "__main__":
    main()
