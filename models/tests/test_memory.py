"""The peak memory a job reports is its own, not its parent's."""

import subprocess
import sys
from pathlib import Path

import pytest

MODELS_DIR = Path(__file__).resolve().parents[1]


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs /proc (Linux): elsewhere ru_maxrss is all there is")
def test_a_child_of_a_large_process_reports_its_own_peak():
    # The parent touches 900 MB, then starts a small child that reports its peak.
    script = (
        "import subprocess, sys\n"
        "big = bytearray(900 * 2**20)\n"
        "big[::4096] = b'x' * len(big[::4096])\n"
        "child = 'from scsonet.memory import peak_rss_mb; print(round(peak_rss_mb()))'\n"
        "print(subprocess.run([sys.executable, '-c', child], capture_output=True, text=True, check=True).stdout.strip())\n"
    )
    res = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(MODELS_DIR)})
    assert 1 <= int(res.stdout) < 600, res.stdout  # ru_maxrss says about 900 (importing scsonet loads torch: ~230)
