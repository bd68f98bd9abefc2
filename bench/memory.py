#!/usr/bin/env python3
"""Memory under slow and fast readers, and the CPU of jobs whose clients left.

    bench/memory.py [--streams 1000] [--seconds 60]

1. Slow readers: --streams concurrent ask streams and one export, each client reading
   100 bytes every 500 ms with a small receive buffer, for --seconds; server RSS sampled
   every second. Growth per stream = (RSS once all are open - RSS before) / streams;
   "flat" = RSS at the end minus RSS once all are open.
2. Fast readers: the same number of clients asking over and over as fast as they can,
   and an export read as fast as possible, repeatedly; RSS sampled every second.
3. Abandoned jobs: 200 streamed asks paced by --token-delay-ms, each client reading two
   events and leaving; server CPU sampled every 100 ms until it is idle again.
rag and the Python peer (one uvicorn worker, so RSS is one process) in the same run.
"""
import argparse
import asyncio
import concurrent.futures
import json
import os
import resource
import socket
import statistics
import time
import urllib.parse
import urllib.request

from common import (POSTGRES_DOCS, PYTHON_DOCS, ROOT, WORK, cpu_seconds, free_port, html_tree, machine, peer_server,
                    rag_server, rss_anon_kb, rss_kb, save)
from serve import build_indexes

QUESTIONS = [q for q in (ROOT / "bench" / "questions.txt").read_text().splitlines() if q.strip()]


async def slow_reader(port, path, stop, stats, rcvbuf=2048):
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.setblocking(False)
    loop = asyncio.get_running_loop()
    try:
        await loop.sock_connect(sock, ("127.0.0.1", port))
        await loop.sock_sendall(sock, f"GET {path} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n".encode())
        stats["open"] += 1
        tail = b""
        while time.monotonic() < stop:
            data = await asyncio.wait_for(loop.sock_recv(sock, 100), timeout=30)
            if not data:
                stats["ended"] += 1
                break
            tail = (tail + data)[-16:]
            if tail.endswith(b"\r\n0\r\n\r\n"):
                # The whole response is read; the connection stays open (keep-alive) and idle.
                stats["completed"] += 1
                await asyncio.sleep(max(0, stop - time.monotonic()))
                break
            await asyncio.sleep(0.5)
    except (OSError, asyncio.TimeoutError):
        stats["errors"] += 1
    finally:
        sock.close()


async def read_whole(port, request):
    """Sends one request on a new connection and reads until the server closes it, as fast
    as possible; returns the bytes read."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    await writer.drain()
    total = 0
    while chunk := await reader.read(1 << 20):
        total += len(chunk)
    writer.close()
    return total


async def fast_asker(port, stop, stats, index):
    n = index
    while time.monotonic() < stop:
        question = QUESTIONS[n % len(QUESTIONS)]
        n += 7
        path = "/v1/ask?k=5&q=" + urllib.parse.quote(question)
        request = f"GET {path} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n"
        try:
            await read_whole(port, request.encode())
            stats["done"] += 1
        except OSError:
            stats["errors"] += 1


async def fast_exporter(port, stop, stats):
    while time.monotonic() < stop:
        try:
            stats["export_bytes"] += await read_whole(port, b"GET /v1/export HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            stats["exports"] += 1
        except OSError:
            stats["errors"] += 1


async def sample_rss(pid, stop, samples, anon=None):
    while time.monotonic() < stop:
        samples.append((time.monotonic(), rss_kb(pid)))
        if anon is not None:
            anon.append(rss_anon_kb(pid))
        await asyncio.sleep(1)


def warm_up(port):
    """Every question once, searched and asked, so that the index pages they touch are in
    the baseline: they are the mapped index file (page cache), not memory a stream costs."""
    def one(q):
        quoted = urllib.parse.quote(q)
        urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/search?k=5&q={quoted}").read()
        request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/ask?k=5&q={quoted}",
                                         headers={"Accept": "application/json"})
        urllib.request.urlopen(request).read()

    # Concurrently, so that every reader connection (each maps the file) has seen them.
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        list(pool.map(one, QUESTIONS * 2))
    time.sleep(1)


async def slow_scenario(pid, port, streams, seconds):
    warm_up(port)
    base = rss_kb(pid)
    base_anon = rss_anon_kb(pid)
    start = time.monotonic()
    stop = start + seconds
    stats = {"open": 0, "completed": 0, "ended": 0, "errors": 0}
    samples = []
    tasks = [asyncio.create_task(sample_rss(pid, stop, samples))]
    for i in range(streams):
        q = QUESTIONS[i % len(QUESTIONS)]
        tasks.append(asyncio.create_task(slow_reader(port, "/v1/ask?k=5&q=" + urllib.parse.quote(q), stop, stats)))
        if i % 100 == 99:
            await asyncio.sleep(0.05)
    tasks.append(asyncio.create_task(slow_reader(port, "/v1/export", stop, stats)))
    while stats["open"] + stats["errors"] < streams + 1 and time.monotonic() < stop:
        await asyncio.sleep(0.1)
    await asyncio.sleep(2)
    opened = rss_kb(pid)
    opened_anon = rss_anon_kb(pid)
    opened_at = time.monotonic() - start
    await asyncio.gather(*tasks)
    end = rss_kb(pid)
    after = [kb for t, kb in samples if t - start >= opened_at]
    return {"baseline_kb": base, "open_kb": opened, "end_kb": end, "per_stream_kb": (opened - base) / (streams + 1),
            "anon_baseline_kb": base_anon, "anon_open_kb": opened_anon,
            "anon_per_stream_kb": (opened_anon - base_anon) / (streams + 1), "opened_after_s": opened_at,
            "after_open_min_kb": min(after or [opened]), "after_open_max_kb": max(after or [opened]),
            "samples_kb": [kb for _, kb in samples], "stats": stats}


async def fast_scenario(pid, port, clients, seconds):
    warm_up(port)
    base = rss_kb(pid)
    stop = time.monotonic() + seconds
    stats = {"done": 0, "errors": 0, "exports": 0, "export_bytes": 0}
    samples, anon = [], []
    tasks = [asyncio.create_task(sample_rss(pid, stop, samples, anon)),
             asyncio.create_task(fast_exporter(port, stop, stats))]
    tasks += [asyncio.create_task(fast_asker(port, stop, stats, i)) for i in range(clients)]
    await asyncio.gather(*tasks)
    kbs = [kb for _, kb in samples]
    settled = kbs[len(kbs) // 4:] or kbs
    settled_anon = anon[len(anon) // 4:] or anon
    # Growth over the second half: what is still climbing once the first burst is over.
    half = len(kbs) // 2
    return {"baseline_kb": base, "min_kb": min(settled), "max_kb": max(settled), "end_kb": rss_kb(pid),
            "anon_min_kb": min(settled_anon), "anon_max_kb": max(settled_anon),
            "second_half_growth_kb": kbs[-1] - kbs[half], "second_half_anon_growth_kb": anon[-1] - anon[half],
            "samples_kb": kbs, "anon_samples_kb": anon, "stats": stats}


async def abandoned_scenario(pid, port, jobs, grace):
    loop = asyncio.get_running_loop()
    socks = []
    for i in range(jobs):
        sock = socket.socket()
        sock.setblocking(False)
        await loop.sock_connect(sock, ("127.0.0.1", port))
        path = "/v1/ask?k=5&q=" + urllib.parse.quote(QUESTIONS[i % len(QUESTIONS)])
        await loop.sock_sendall(sock, f"GET {path} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n".encode())
        socks.append(sock)
    await asyncio.sleep(1.0)
    busy = []
    for _ in range(10):
        c0 = cpu_seconds(pid)
        await asyncio.sleep(0.1)
        busy.append((cpu_seconds(pid) - c0) / 0.1)
    for sock in socks:
        sock.close()
    left = time.monotonic()
    trace = []
    while time.monotonic() - left < grace + 3:
        c0 = cpu_seconds(pid)
        await asyncio.sleep(0.1)
        usage = (cpu_seconds(pid) - c0) / 0.1
        trace.append((round(time.monotonic() - left, 2), round(usage, 3)))
    # Idle: below 5% of a core (the once-a-second sweep stays far below); the time is the
    # end of the last busier 100 ms window.
    busy_windows = [t for t, usage in trace if usage >= 0.05]
    idle_at = busy_windows[-1] if busy_windows else 0.0
    return {"jobs": jobs, "cpu_while_generating": statistics.mean(busy), "idle_after_s": idle_at, "grace_s": grace,
            "trace": trace}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--token-delay-ms", type=int, default=50)
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    WORK.mkdir(parents=True, exist_ok=True)
    _, rag_db, peer_db = build_indexes()
    print(f"machine: {machine()}", flush=True)
    results = {}
    for name in ("rag", "peer"):
        port = free_port()
        server = rag_server(rag_db, port) if name == "rag" else peer_server(peer_db, port, workers=1)
        try:
            results[name] = {"slow": asyncio.run(slow_scenario(server.pid, port, args.streams, args.seconds))}
            print(name, "slow", {k: v for k, v in results[name]["slow"].items() if not k.endswith("samples_kb")}, flush=True)
            results[name]["fast"] = asyncio.run(fast_scenario(server.pid, port, min(args.streams, 256), args.seconds))
            print(name, "fast", {k: v for k, v in results[name]["fast"].items() if not k.endswith("samples_kb")}, flush=True)
        finally:
            server.stop()
    grace = 2
    port = free_port()
    server = rag_server(rag_db, port, "--token-delay-ms", str(args.token_delay_ms), "--resume-grace", str(grace))
    try:
        results["rag"]["abandoned"] = asyncio.run(abandoned_scenario(server.pid, port, 200, grace))
        print("rag abandoned", {k: v for k, v in results["rag"]["abandoned"].items() if k != "trace"}, flush=True)
    finally:
        server.stop()

    r, p = results["rag"], results["peer"]
    rows = [
        "| measure | rag | Python peer (1 worker) |", "|---|---|---|",
        f"| slow readers: {args.streams} asks + 1 export, RSS before → all open | {r['slow']['baseline_kb'] / 1024:.0f} → {r['slow']['open_kb'] / 1024:.0f} MiB | {p['slow']['baseline_kb'] / 1024:.0f} → {p['slow']['open_kb'] / 1024:.0f} MiB |",
        f"| slow readers: growth per stream | **{r['slow']['per_stream_kb']:.1f} KB** | {p['slow']['per_stream_kb']:.1f} KB |",
        f"| slow readers: growth per stream, anonymous memory only (RssAnon) | {r['slow']['anon_per_stream_kb']:.1f} KB | {p['slow']['anon_per_stream_kb']:.1f} KB |",
        f"| slow readers: RSS min–max after all open, over {args.seconds} s | {r['slow']['after_open_min_kb'] / 1024:.0f}–{r['slow']['after_open_max_kb'] / 1024:.0f} MiB | {p['slow']['after_open_min_kb'] / 1024:.0f}–{p['slow']['after_open_max_kb'] / 1024:.0f} MiB |",
        f"| fast readers ({min(args.streams, 256)} askers + a repeated export): RSS min–max | {r['fast']['min_kb'] / 1024:.0f}–{r['fast']['max_kb'] / 1024:.0f} MiB | {p['fast']['min_kb'] / 1024:.0f}–{p['fast']['max_kb'] / 1024:.0f} MiB |",
        f"| fast readers: RssAnon min–max; growth over the second half (VmRSS, RssAnon) | {r['fast']['anon_min_kb'] / 1024:.0f}–{r['fast']['anon_max_kb'] / 1024:.0f} MiB; +{r['fast']['second_half_growth_kb'] / 1024:.1f}, +{r['fast']['second_half_anon_growth_kb'] / 1024:.1f} MiB | {p['fast']['anon_min_kb'] / 1024:.0f}–{p['fast']['anon_max_kb'] / 1024:.0f} MiB; +{p['fast']['second_half_growth_kb'] / 1024:.1f}, +{p['fast']['second_half_anon_growth_kb'] / 1024:.1f} MiB |",
        f"| fast readers: asks answered, exports read | {r['fast']['stats']['done']}, {r['fast']['stats']['exports']} | {p['fast']['stats']['done']}, {p['fast']['stats']['exports']} |",
        f"| 200 abandoned jobs (--token-delay-ms {args.token_delay_ms}): CPU while generating → idle after the clients left | {r['abandoned']['cpu_while_generating'] * 100:.0f}% of a core → idle {r['abandoned']['idle_after_s']:.2f} s after (grace {grace} s) | |",
    ]
    print("\n".join(rows))
    save("memory", {"machine": machine(), "results": results, "table": rows})


if __name__ == "__main__":
    main()
