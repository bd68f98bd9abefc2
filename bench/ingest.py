#!/usr/bin/env python3
"""Ingest benchmark: the whole python3-doc HTML, rag beside its references, same run.

    bench/ingest.py [--runs 3]

Measures rag ingest (fresh index, then a second run over the unchanged files) in MB/s,
documents/s, peak RSS and index size, next to: the Python peer (`peer/ingest.py --jobs 2`),
libxml2 parse-only (`xmllint --html --noout`, two processes) and FTS5 insert-only of
the text rag extracted (sqlite3 CLI, one transaction). Medians of --runs runs.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

from common import (PEER_PYTHON, PYTHON_DOCS, RAG, SHARED, WORK, bytes_of, html_tree, machine, save)


def timed(args, cwd=None, env=None):
    """Runs a command; returns (seconds, peak RSS in MiB)."""
    start = time.perf_counter()
    process = subprocess.Popen(args, cwd=cwd, env={**os.environ, **(env or {})},
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0,):
        sys.exit(f"{args[0]} failed: {process.stderr.read().decode()[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    docs = html_tree(PYTHON_DOCS, WORK / "python-html")
    files = sorted(str(p) for p in docs.rglob("*.html"))
    megabytes = bytes_of(docs) / 1e6
    print(f"machine: {machine()}\ncorpus: python3-doc HTML, {len(files)} files, {megabytes:.1f} MB", flush=True)

    results = {"xmllint": [], "peer": [], "rag": [], "rag_unchanged": [], "fts5_insert": []}
    rss = {"rag": [], "peer": []}
    sizes = {}
    for run in range(args.runs):
        # libxml2 parse-only, two processes.
        t, _ = timed(["sh", "-c", f"printf '%s\\0' \"$@\" | xargs -0 -n 50 -P 2 xmllint --html --noout 2>/dev/null; true", "x", *files])
        results["xmllint"].append(t)

        peer_db = WORK / "peer-ingest.sqlite"
        for suffix in ("", "-wal", "-shm"):
            (WORK / f"peer-ingest.sqlite{suffix}").unlink(missing_ok=True)
        t, m = timed([PEER_PYTHON, "peer/ingest.py", str(docs), "--db", str(peer_db), "--jobs", "2"], cwd=SHARED)
        results["peer"].append(t)
        rss["peer"].append(m)

        rag_dir = WORK / "rag-ingest"
        shutil.rmtree(rag_dir, ignore_errors=True)
        t, m = timed([RAG, "ingest", str(docs), "--db", str(rag_dir / "index.sqlite")])
        results["rag"].append(t)
        rss["rag"].append(m)
        t, _ = timed([RAG, "ingest", str(docs), "--db", str(rag_dir / "index.sqlite")])
        results["rag_unchanged"].append(t)
        sizes["rag"] = sum(f.stat().st_size for f in rag_dir.iterdir())
        sizes["peer"] = sum((WORK / f"peer-ingest.sqlite{s}").stat().st_size for s in ("", "-wal", "-shm")
                            if (WORK / f"peer-ingest.sqlite{s}").exists())

        # FTS5 insert-only of the text rag extracted, one transaction.
        fts = WORK / "fts-only.sqlite"
        fts.unlink(missing_ok=True)
        sql = (f"ATTACH '{rag_dir / 'index.sqlite'}' AS src;"
               "CREATE TEMP TABLE t AS SELECT title, heading, body FROM src.passages;"
               "CREATE VIRTUAL TABLE f USING fts5(title, heading, body, tokenize='porter unicode61 remove_diacritics 2');\n"
               ".timer on\nBEGIN; INSERT INTO f SELECT title, heading, body FROM t; COMMIT;")
        out = subprocess.run(["sqlite3", str(fts)], input=sql, capture_output=True, text=True).stdout
        seconds = sum(float(line.split()[3]) for line in out.splitlines() if line.startswith("Run Time"))
        results["fts5_insert"].append(seconds)
        print(f"run {run + 1}: " + ", ".join(f"{k} {v[-1]:.2f}s" for k, v in results.items()), flush=True)

    median = {k: statistics.median(v) for k, v in results.items()}
    rate = {k: megabytes / v for k, v in median.items()}
    table = [
        "| what | time (median) | MB/s | docs/s | peak RSS | index size |",
        "|---|---|---|---|---|---|",
        f"| **rag ingest** (fresh index) | {median['rag']:.2f} s | **{rate['rag']:.1f}** | {len(files) / median['rag']:.0f} | {statistics.median(rss['rag']):.0f} MiB | {sizes['rag'] / 1e6:.0f} MB |",
        f"| rag ingest, second run (unchanged) | {median['rag_unchanged']:.2f} s | {rate['rag_unchanged']:.0f} | {len(files) / median['rag_unchanged']:.0f} | | |",
        f"| Python peer, `--jobs 2` | {median['peer']:.2f} s | {rate['peer']:.1f} | {len(files) / median['peer']:.0f} | {statistics.median(rss['peer']):.0f} MiB | {sizes['peer'] / 1e6:.0f} MB |",
        f"| libxml2 parse only (`xmllint --html --noout`, 2 processes) | {median['xmllint']:.2f} s | {rate['xmllint']:.1f} | {len(files) / median['xmllint']:.0f} | | |",
        f"| FTS5 insert only of the extracted text (sqlite3, 1 transaction) | {median['fts5_insert']:.2f} s | {rate['fts5_insert']:.1f} | | | |",
    ]
    print("\n".join(table))
    print(f"\nrag / peer: {rate['rag'] / rate['peer']:.2f}x   rag / xmllint: {rate['rag'] / rate['xmllint']:.2f}x")
    save("ingest", {"machine": machine(), "files": len(files), "megabytes": megabytes, "runs": results,
                    "median_seconds": median, "mb_per_s": rate, "peak_rss_mib": rss, "index_bytes": sizes,
                    "table": table})


if __name__ == "__main__":
    main()
