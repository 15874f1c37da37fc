#!/usr/bin/env python3
"""aiosmtpd as bench/idle.sh runs it: one process, one asyncio loop, a sink handler.

usage: aiosmtpd_server.py HOST PORT TIMEOUT_SECONDS

Like `python3 -m aiosmtpd -n -c aiosmtpd.handlers.Sink -l HOST:PORT`, with two differences that
the command line does not offer: the idle timeout (aiosmtpd's default, 300 s, would end held
sessions during a long run) and a fixed host name (the default asks socket.getfqdn(), which may
query DNS). Runs until SIGTERM or SIGINT. Run it with the Python that has aiosmtpd (Debian's
python3-aiosmtpd is for /usr/bin/python3).
"""
import asyncio
import signal
import sys

from aiosmtpd.handlers import Sink
from aiosmtpd.smtp import SMTP


async def serve(host, port, timeout):
    loop = asyncio.get_running_loop()
    handler = Sink()
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="aiosmtpd.bench.test", timeout=timeout, loop=loop),
        host=host, port=port, backlog=1024)
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set_result, None)
    await stop
    server.close()


def main():
    host, port, timeout = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    asyncio.run(serve(host, port, timeout))


if __name__ == "__main__":
    main()
