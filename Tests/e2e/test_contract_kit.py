"""The shared contract smoke kit, when the workspace has it (../shared/contract-kit)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

KIT = Path(__file__).resolve().parents[3] / "shared" / "contract-kit"


@pytest.mark.skipif(not KIT.is_dir(), reason="../shared/contract-kit is not in this workspace")
def test_contract_kit(server):
    env = dict(os.environ, RAG_URL=server.url, PYTHONDONTWRITEBYTECODE="1")
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(KIT)],
        env=env, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
