#!/usr/bin/env python3
"""Serving benchmark: search and ask over the python3-doc and postgresql-doc-15 HTML,
rag beside the Python peer (two uvicorn workers, its best configuration), same run.

    bench/serve.py [--seconds 15] [--rounds 3]

Search and ask throughput with wrk at concurrency 1, 16 and 64 (every request a
question from bench/questions.txt, cycled), and for ask at concurrency 1 the time to the
first byte, to the `found` event and to `done` (p50/p99) from a raw-socket client.

Both servers run for the whole benchmark and are measured in turns, so that the shared
machine's slow and fast spells fall on both: each wrk measurement is split into
--rounds slices of --seconds / --rounds, alternating rag and the peer (medians of the
slices are reported), and the latency client asks each question of both, in
alternating order.
"""
import argparse
import re
import socket
import statistics
import subprocess
import time
import urllib.parse

from common import (PEER_PYTHON, POSTGRES_DOCS, PYTHON_DOCS, RAG, ROOT, SHARED, WORK, bytes_of, free_port, html_tree,
                    machine, peer_server, percentile, rag_server, save)

QUESTIONS = ROOT / "bench" / "questions.txt"
LUA = ROOT / "bench" / "questions.lua"


def build_indexes():
    docs = WORK / "docs"
    html_tree(PYTHON_DOCS, docs / "python")
    html_tree(POSTGRES_DOCS, docs / "postgresql")
    rag_db = WORK / "serve-rag" / "index.sqlite"
    peer_db = WORK / "serve-peer.sqlite"
    if not rag_db.exists():
        subprocess.run([RAG, "ingest", str(docs), "--db", str(rag_db)], check=True, stdout=subprocess.DEVNULL)
    if not peer_db.exists():
        subprocess.run([PEER_PYTHON, "peer/ingest.py", str(docs), "--db", str(peer_db), "--jobs", "2"], cwd=SHARED,
                       check=True, stderr=subprocess.DEVNULL)
    return docs, rag_db, peer_db


def wrk(port, prefix, connections, seconds):
    threads = 1 if connections == 1 else 2
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(LUA), f"http://127.0.0.1:{port}"],
        env={"QUESTIONS": str(QUESTIONS), "PATH_PREFIX": prefix, "PATH": "/usr/bin:/bin"}, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    unit = {"us": 0.001, "ms": 1, "s": 1000}

    def latency(label):
        m = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)", out)
        return float(m.group(1)) * unit[m.group(2)] if m else float("nan")

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "p50_ms": latency("50"), "p99_ms": latency("99"), "non_2xx": int(errors.group(1)) if errors else 0}


def ask_once(port, question):
    """One SSE ask on a new connection: ms to the first byte, to `found`, to `done`."""
    path = "/v1/ask?k=5&q=" + urllib.parse.quote(question)
    with socket.create_connection(("127.0.0.1", port)) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        start = time.perf_counter()
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nConnection: close\r\n\r\n".encode())
        data = b""
        t_first = t_found = None
        while True:
            chunk = s.recv(65536)
            now = time.perf_counter()
            if not chunk:
                break
            if t_first is None:
                t_first = now
            data += chunk
            if t_found is None and b'"stage":"found"' in data:
                t_found = now
            done_at = data.find(b"event: done")
            if done_at >= 0 and b"\n\n" in data[done_at:]:
                break
        end = time.perf_counter()
    return (t_first - start) * 1000, ((t_found or end) - start) * 1000, (end - start) * 1000


def ask_latencies(ports, questions):
    """Sequential SSE asks, each question of every server in turn (the order alternating)."""
    samples = {name: ([], [], []) for name in ports}
    names = list(ports)
    for i, question in enumerate(questions):
        for name in (names if i % 2 == 0 else names[::-1]):
            for series, value in zip(samples[name], ask_once(ports[name], question)):
                series.append(value)
    return {name: {k: {"p50": percentile(v, 0.5), "p99": percentile(v, 0.99)} for k, v in
                   zip(("first_byte", "found", "done"), series)} for name, series in samples.items()}


def median_of(slices):
    return {key: statistics.median(s[key] for s in slices) for key in ("rps", "p50_ms", "p99_ms")} | {
        "non_2xx": sum(s["non_2xx"] for s in slices), "slices": slices}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    docs, rag_db, peer_db = build_indexes()
    questions = [q for q in QUESTIONS.read_text().splitlines() if q.strip()]
    print(f"machine: {machine()}\nindex: {bytes_of(docs) / 1e6:.0f} MB of HTML; {len(questions)} questions", flush=True)

    ports = {"rag": free_port(), "peer": free_port()}
    servers = [rag_server(rag_db, ports["rag"]), peer_server(peer_db, ports["peer"])]
    results = {"rag": {}, "peer": {}}
    try:
        ask_latencies(ports, questions[:40])  # warm up
        for name, latency in ask_latencies(ports, questions).items():
            results[name]["ask_latency_c1"] = latency
        slice_seconds = max(1, round(args.seconds / args.rounds))
        for kind, prefix in (("search", "/v1/search?k=10&q="), ("ask", "/v1/ask?k=5&q=")):
            for c in (1, 16, 64):
                slices = {"rag": [], "peer": []}
                for r in range(args.rounds):
                    for name in (("rag", "peer") if r % 2 == 0 else ("peer", "rag")):
                        slices[name].append(wrk(ports[name], prefix, c, slice_seconds))
                for name in ("rag", "peer"):
                    results[name][f"{kind}_c{c}"] = median_of(slices[name])
                print(kind, c, {n: {k: v for k, v in results[n][f"{kind}_c{c}"].items() if k != "slices"}
                                for n in ("rag", "peer")}, flush=True)
    finally:
        for server in servers:
            server.stop()

    rows = ["| measure | rag | Python peer (2 workers) | rag / peer |", "|---|---|---|---|"]
    for kind in ("search", "ask"):
        for c in (1, 16, 64):
            a, b = results["rag"][f"{kind}_c{c}"], results["peer"][f"{kind}_c{c}"]
            rows.append(f"| {kind} c={c}: req/s (p50 / p99 ms) | **{a['rps']:.0f}** ({a['p50_ms']:.1f} / {a['p99_ms']:.1f}) | "
                        f"{b['rps']:.0f} ({b['p50_ms']:.1f} / {b['p99_ms']:.1f}) | {a['rps'] / b['rps']:.1f}x |")
    for key, label in (("first_byte", "first byte"), ("found", "`found`"), ("done", "`done`")):
        a, b = results["rag"]["ask_latency_c1"][key], results["peer"]["ask_latency_c1"][key]
        rows.append(f"| ask c=1: time to {label}, p50 / p99 ms | **{a['p50']:.2f}** / {a['p99']:.2f} | {b['p50']:.2f} / {b['p99']:.2f} | "
                    f"{b['p50'] / a['p50']:.1f}x faster |")
    print("\n".join(rows))
    save("serve", {"machine": machine(), "questions": len(questions), "results": results, "table": rows})


if __name__ == "__main__":
    main()
