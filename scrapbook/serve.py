"""Start uvicorn serving Scrapbook: `python -m scrapbook.serve [uvicorn options]`.

The Makefile, the tests and the benchmarks start the server through here, so that it runs
with the same options everywhere:
- A client's address is the socket's peer. uvicorn would otherwise believe X-Forwarded-For
  from any connection coming from 127.0.0.1, so anyone on the host could pick their address
  and step around the login throttle. Behind a reverse proxy, TRUSTED_PROXIES names it
  (uvicorn's --forwarded-allow-ips syntax: addresses or networks, comma-separated), and
  only its connections' X-Forwarded-For is believed.
- No per-message deflate on websockets: compressing every chat delivery cost more CPU than
  the bandwidth it saved (docs/PERFORMANCE.md).
- With `--workers N`, each worker listens on a socket of its own (SO_REUSEPORT), so that
  the kernel spreads connections evenly over them (scrapbook/internals/uvicorn_reuse_port.py;
  SERVE_REUSE_PORT=0 keeps uvicorn's one shared socket).
- With LOG_FORMAT=json, uvicorn's own lines are JSON too, the supervisor's of `--workers N`
  included (scrapbook/log_format.py), unless a `--log-config` of yours follows.
"""

import os
import sys

import uvicorn

from scrapbook.internals import uvicorn_reuse_port
from scrapbook.log_format import UVICORN_JSON_LOG_CONFIG, log_format

APPLICATION = "scrapbook.asgi:application"


def uvicorn_arguments(extra: list[str], environ=os.environ) -> list[str]:
    trusted_proxies = environ.get("TRUSTED_PROXIES", "").strip()
    if trusted_proxies:
        proxies = ["--proxy-headers", "--forwarded-allow-ips", trusted_proxies]
    else:
        proxies = ["--no-proxy-headers"]
    logs = []
    given_log_config = any(arg == "--log-config" or arg.startswith("--log-config=") for arg in extra)
    if log_format(environ) == "json" and not given_log_config:
        logs = ["--log-config", str(UVICORN_JSON_LOG_CONFIG)]
    return [APPLICATION, "--ws-per-message-deflate", "false", *proxies, *logs, *extra]


def main() -> None:
    try:
        arguments = uvicorn_arguments(sys.argv[1:])
    except ValueError as error:  # an unknown LOG_FORMAT
        sys.exit(str(error))
    uvicorn_reuse_port.install()
    uvicorn.main(args=arguments, prog_name="python -m scrapbook.serve")


if __name__ == "__main__":
    main()
