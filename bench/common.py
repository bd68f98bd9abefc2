"""Shared pieces of the benchmarks: the machine, the servers under test, /proc readings.

Every benchmark runs rag and its reference (the Python peer in ../shared/peer, or a
tool like xmllint) in the same run on the same files, because absolute numbers on a
shared 2-core machine drift while ratios hold.
"""
import json
import os
import platform
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("RAG_SHARED", ROOT.parent / "shared"))
RAG = os.environ.get("RAG_BIN", str(ROOT / ".build" / "release" / "rag"))
PEER_PYTHON = os.environ.get("PEER_PYTHON", "/tmp/peer-venv/bin/python")
WORK = Path(os.environ.get("BENCH_WORK", "/tmp/rag-bench"))
OUT = ROOT / "bench" / "out"
PYTHON_DOCS = Path("/usr/share/doc/python3.11/html")
POSTGRES_DOCS = Path("/usr/share/doc/postgresql-doc-15/html")


def machine():
    cpu = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB, {platform.system()} {platform.release()}"


def html_tree(source, target):
    """Copies only the .html files of `source` (following links) to `target`."""
    if target.exists():
        return target
    for path in source.rglob("*.html"):
        dest = target / path.relative_to(source)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, dest)
    return target


def bytes_of(folder):
    return sum(p.stat().st_size for p in Path(folder).rglob("*") if p.is_file())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url, timeout=300):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def status_kb(pid, field):
    """A /proc/PID/status memory field (VmRSS, RssAnon, ...) of a process and its
    children (uvicorn workers), in KiB."""
    total = 0
    for p in [pid] + children(pid):
        try:
            for line in open(f"/proc/{p}/status"):
                if line.startswith(field + ":"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total


def rss_kb(pid):
    """Resident memory, in KiB."""
    return status_kb(pid, "VmRSS")


def rss_anon_kb(pid):
    """Anonymous resident memory (heap, stacks; not the mapped index file), in KiB."""
    return status_kb(pid, "RssAnon")


def cpu_seconds(pid):
    """CPU time of a process's threads and its children's, from schedstat (nanoseconds;
    /proc/PID/stat counts 10 ms ticks, too coarse for 100 ms samples)."""
    ns = 0
    for p in [pid] + children(pid):
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                ns += int(open(f"/proc/{p}/task/{task}/schedstat").read().split()[0])
        except OSError:
            pass
    return ns / 1e9


def children(pid):
    try:
        out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
        kids = [int(x) for x in out.split()]
        return kids + [g for k in kids for g in children(k)]
    except OSError:
        return []


class Process:
    """A server under test, stopped with SIGTERM."""

    def __init__(self, args, env=None, cwd=None, log=None):
        self.log = open(log or os.devnull, "wb")
        self.process = subprocess.Popen(args, env={**os.environ, **(env or {})}, cwd=cwd, stdout=self.log, stderr=subprocess.STDOUT)
        self.pid = self.process.pid

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()


def rag_server(db, port, *flags):
    p = Process([RAG, "serve", "--db", str(db), "--port", str(port), "--log-level", "warning", *flags], cwd=ROOT,
                log=WORK / f"rag-{port}.log")
    wait_http(f"http://127.0.0.1:{port}/healthz")
    return p


def peer_server(db, port, workers=2, token_delay_ms=0):
    uvicorn = str(Path(PEER_PYTHON).parent / "uvicorn")
    p = Process([uvicorn, "peer.app:app", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
                 "--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"],
                env={"PEER_DB": str(db), "PEER_TOKEN_DELAY_MS": str(token_delay_ms)}, cwd=SHARED,
                log=WORK / f"peer-{port}.log")
    wait_http(f"http://127.0.0.1:{port}/healthz")
    return p


def save(name, results):
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.json").write_text(json.dumps(results, indent=2, ensure_ascii=False))


def percentile(values, p):
    values = sorted(values)
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(len(values) * p))]
