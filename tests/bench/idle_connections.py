#!/usr/bin/env python3
"""Open N idle keep-alive HTTP connections to a local server and hold them open.

Each connection sends one GET and reads its whole response, so the server has finished the
request and holds the connection idle in keep-alive. Then the script prints "READY <n>" on
stdout and keeps every socket open until it is killed (SIGTERM/SIGINT) or --hold seconds pass.
tests/bench/run uses it to measure the server's resident memory per idle connection.

Only loopback addresses are accepted: this is a benchmark helper, not a load tool.
"""
import argparse
import ipaddress
import resource
import signal
import socket
import sys
import time


def raise_fd_limit(needed):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    if target < needed:
        sys.exit(f"idle_connections: need {needed} file descriptors but the hard limit is {hard}; "
                 "raise it with 'ulimit -n' first.")


def read_response(sock, deadline):
    """Reads one response with a Content-Length body; returns its status code."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += recv_some(sock, deadline)
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(":")
        if name.strip().lower() == "content-length":
            length = int(value.strip())
    while len(body) < length:
        body += recv_some(sock, deadline)
    return status


def recv_some(sock, deadline):
    sock.settimeout(max(0.001, deadline - time.monotonic()))
    chunk = sock.recv(65536)
    if not chunk:
        raise ConnectionError("the server closed a connection before its response was complete")
    return chunk


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--path", default="/1k.bin")
    parser.add_argument("--hold", type=float, default=600, help="seconds to hold (safety limit)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds to set everything up")
    args = parser.parse_args()
    if not ipaddress.ip_address(args.host).is_loopback:
        sys.exit("idle_connections: only loopback addresses are allowed")

    raise_fd_limit(args.count + 64)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    request = (f"GET {args.path} HTTP/1.1\r\nHost: {args.host}:{args.port}\r\n"
               "Connection: keep-alive\r\n\r\n").encode()
    deadline = time.monotonic() + args.timeout
    socks = []
    try:
        # Connect and send everything first, then read: the responses wait in the socket
        # buffers, so setting up 10,000 connections takes seconds, not minutes.
        for _ in range(args.count):
            s = socket.create_connection((args.host, args.port),
                                         timeout=max(0.001, deadline - time.monotonic()))
            s.sendall(request)
            socks.append(s)
        bad = sum(1 for s in socks if read_response(s, deadline) != 200)
    except (OSError, ConnectionError, ValueError, IndexError) as e:
        sys.exit(f"idle_connections: failed after {len(socks)} connections: {e}")
    if bad:
        sys.exit(f"idle_connections: {bad} of {len(socks)} responses were not 200")

    print(f"READY {len(socks)}", flush=True)
    end = time.monotonic() + args.hold
    while time.monotonic() < end:
        time.sleep(0.2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
