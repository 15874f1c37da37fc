#!/usr/bin/env python3
"""A primary MX as mxtrap's prober sees it: greets every connection with 220, then reads until
the peer hangs up (at most 10 s). Runs until killed.

usage: smtp_greeter.py HOST PORT
"""
import asyncio
import sys


async def greet(reader, writer):
    writer.write(b"220 mail.example.test ESMTP bench greeter\r\n")
    try:
        await writer.drain()
        await asyncio.wait_for(reader.read(), 10)
    except (OSError, asyncio.TimeoutError):
        pass
    writer.close()


async def main():
    server = await asyncio.start_server(greet, sys.argv[1], int(sys.argv[2]))
    async with server:
        await server.serve_forever()


asyncio.run(main())
