#!/usr/bin/env python3
"""Extraction latency: `POST /v1/extract` on the test fixtures (a 22 KB product page among
them), one keep-alive client, beside `GET /healthz` on the same connection as the floor
of an HTTP round trip in the same run. The Python peer has no extraction to compare with.

    bench/extract.py [--requests 500]
"""
import argparse
import http.client
import json
import socket
import statistics
import time

from common import ROOT, WORK, free_port, machine, percentile, rag_server, save

FIXTURES = ROOT / "Tests" / "Fixtures" / "extract"
CASES = [
    ("product page (HTML)", "product-page", "html"),
    ("staff directory table (HTML)", "staff-directory", "html"),
    ("Chinese contact page (HTML)", "contact-zh", "html"),
    ("event announcement (text)", "event-announcement", "text"),
]


def timed(conn, method, path, body=None):
    headers = {"Content-Type": "application/json"} if body is not None else {}
    start = time.perf_counter()
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    elapsed = (time.perf_counter() - start) * 1000
    if response.status != 200:
        raise SystemExit(f"{path}: {response.status} {data[:300]!r}")
    return elapsed


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    port = free_port()
    server = rag_server(WORK / "extract-rag" / "index.sqlite", port)
    rows = ["| request | size | p50 | p99 |", "|---|---|---|---|"]
    results = {}
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port)
        conn.connect()
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        floor = [timed(conn, "GET", "/healthz") for _ in range(args.requests)]
        for label, name, field in CASES:
            source = (FIXTURES / f"{name}.{'html' if field == 'html' else 'txt'}").read_text()
            schema = json.loads((FIXTURES / f"{name}.schema.json").read_text())
            body = json.dumps({"schema": schema, field: source}).encode()
            for _ in range(20):
                timed(conn, "POST", "/v1/extract", body)
            times = [timed(conn, "POST", "/v1/extract", body) for _ in range(args.requests)]
            results[name] = times
            rows.append(f"| `POST /v1/extract`, {label} | {len(source.encode()) / 1000:.0f} KB | "
                        f"**{statistics.median(times):.2f} ms** | {percentile(times, 99):.2f} ms |")
        rows.append(f"| `GET /healthz` (the round-trip floor, same connection) | | {statistics.median(floor):.2f} ms | "
                    f"{percentile(floor, 99):.2f} ms |")
    finally:
        server.stop()
    print(f"machine: {machine()}")
    print("\n".join(rows))
    save("extract", {"machine": machine(), "requests": args.requests, "ms": results, "healthz_ms": floor, "table": rows})


if __name__ == "__main__":
    main()
