"""Cache round trips from request threads while the event loop's thread keeps the GIL busy.

    .venv/bin/python bench/redis_round_trips.py [--redis-url redis://127.0.0.1:6379/12]
        [--threads 4] [--seconds 5]

Each request thread of a worker does its cache reads with blocking I/O, and every system call
lets go of the GIL, which the thread must then take back from the event loop's thread, busy
with other requests. Python keeps a socket's timeout by polling before each send and each
receive: two more hand-overs per round trip. This runs `--threads` threads doing the movie
page's `get_many` of eleven keys through Scrapbook's cache, beside one thread that keeps the
GIL busy as a loaded event loop does, with REDIS_KERNEL_TIMEOUTS off and on (timeouts kept
by Python, or by the kernel: scrapbook/internals/django_redis_cache.py), and prints the
round trips per second and the CPU per round trip of each.
"""

import argparse
import os
import sys
import threading
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))


def measure(cache, keys: list[str], threads: int, seconds: float) -> tuple[float, float]:
    """(round trips per second, CPU µs per round trip) with a GIL-busy thread beside."""
    stop = threading.Event()
    done = [0] * threads

    def reader(number: int):
        while not stop.is_set():
            cache.get_many(keys)
            done[number] += 1

    def busy_loop():  # pure Python, as an event loop parsing requests is
        total = 0
        while not stop.is_set():
            for number in range(1000):
                total += number

    workers = [threading.Thread(target=reader, args=(number,)) for number in range(threads)]
    workers.append(threading.Thread(target=busy_loop))
    cpu, wall = time.process_time(), time.perf_counter()
    for worker in workers:
        worker.start()
    time.sleep(seconds)
    stop.set()
    for worker in workers:
        worker.join()
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    trips = sum(done)
    return trips / wall, cpu / trips * 1e6


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    arguments = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "scrapbook.settings")
    os.environ["REDIS_URL"] = arguments.redis_url
    import django

    django.setup()
    from django.conf import settings

    from scrapbook.cache import ResilientRedisCache

    keys = [f"bench-round-trip:{number}" for number in range(11)]
    results = {False: [], True: []}
    for _ in range(arguments.rounds):  # in turns: a machine that changes weighs on both
        for kernel in (False, True):
            settings.REDIS_KERNEL_TIMEOUTS = kernel
            # As settings.CACHES has it; the process's shared client is one per setting.
            cache = ResilientRedisCache(
                arguments.redis_url, {"OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2}}
            )
            cache.set_many(dict.fromkeys(keys, b"x" * 200))
            results[kernel].append(measure(cache, keys, arguments.threads, arguments.seconds))
    print(f"{arguments.threads} threads doing get_many of 11 keys, one thread keeping the GIL busy\n")
    print("| socket timeouts | round trips/s | process CPU µs per round trip (busy thread included) |")
    print("|---|---:|---:|")
    for kernel, label in ((False, "kept by Python (stock)"), (True, "kept by the kernel")):
        rates = [rate for rate, _ in results[kernel]]
        costs = [cost for _, cost in results[kernel]]
        print(f"| {label} | {sum(rates) / len(rates):.0f} | {sum(costs) / len(costs):.0f} |")
    stock = sum(rate for rate, _ in results[False])
    print(f"\nratio kernel / stock: {sum(rate for rate, _ in results[True]) / stock:.2f}")


if __name__ == "__main__":
    main()
