"""This process's peak resident memory, as the fine-tuning job and the benchmarks report it."""

from __future__ import annotations

import resource
import sys
from pathlib import Path


def peak_rss_mb() -> float:
    """The highest resident memory of this process so far, in MiB.

    On Linux it is VmHWM from /proc/self/status: the process's own peak since it started its
    program. ``ru_maxrss`` is not: a child keeps its parent's maximum across fork and exec, so a
    job spawned by a process that holds 900 MB reported 900 MB whatever it used itself.
    Elsewhere ``ru_maxrss`` is all there is (kilobytes on Linux, bytes on macOS).
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss / 2**20 if sys.platform == "darwin" else maxrss / 1024
