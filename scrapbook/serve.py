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
"""

import os
import sys

import uvicorn

APPLICATION = "scrapbook.asgi:application"


def uvicorn_arguments(extra: list[str], environ=os.environ) -> list[str]:
    trusted_proxies = environ.get("TRUSTED_PROXIES", "").strip()
    if trusted_proxies:
        proxies = ["--proxy-headers", "--forwarded-allow-ips", trusted_proxies]
    else:
        proxies = ["--no-proxy-headers"]
    return [APPLICATION, "--ws-per-message-deflate", "false", *proxies, *extra]


def main() -> None:
    uvicorn.main(args=uvicorn_arguments(sys.argv[1:]), prog_name="python -m scrapbook.serve")


if __name__ == "__main__":
    main()
