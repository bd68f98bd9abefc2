#!/usr/bin/env bash
# Installs what the benchmarks need: the document collections (Debian packages), wrk,
# xmllint, sqlite3, a release build of rag, and the Python peer's virtualenv.
set -euo pipefail
cd "$(dirname "$0")/.."
sudo=""; if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi
$sudo apt-get install -y -qq python3-doc postgresql-doc-15 wrk libxml2-utils sqlite3 >/dev/null
swift build -c release --product rag
if [ ! -x /tmp/peer-venv/bin/uvicorn ]; then
  python3 -m venv /tmp/peer-venv
  /tmp/peer-venv/bin/pip install -q fastapi uvicorn uvloop httptools sse-starlette lxml
fi
