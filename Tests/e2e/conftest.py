"""End-to-end fixtures: the real `rag` binary serving on a free loopback port."""
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
BINARY = os.environ.get("RAG_BINARY", str(ROOT / ".build" / "debug" / "rag"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`rag serve` in a subprocess with its own index (the corpus is ingested on first start)."""

    def __init__(self, *flags):
        self.dir = tempfile.mkdtemp(prefix="rag-e2e-")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(os.path.join(self.dir, "server.log"), "wb")
        self.process = subprocess.Popen(
            [BINARY, "serve", "--port", str(self.port), "--db", os.path.join(self.dir, "index.sqlite"),
             "--corpus", str(ROOT / "corpus"), *flags],
            cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
            if self.process.poll() is not None:
                break
        self.stop()
        raise RuntimeError("rag serve did not start: " + Path(self.dir, "server.log").read_text())

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module")
def server():
    s = Server("--token-delay-ms", "15")
    yield s
    s.stop()
