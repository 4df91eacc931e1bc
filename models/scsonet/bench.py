"""Model-side benchmarks: training throughput and memory, fine-tuning wall time."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict

THROUGHPUT_SCRIPT = r"""
import json, sys, time, torch
from scsonet.memory import peak_rss_mb
from scsonet.network import SCSONet
from scsonet.losses import bce_dice_loss
from scsonet.augment import augment_batch, minmax_scale
steps = int(sys.argv[1])
torch.set_num_threads(int(sys.argv[2]))
torch.manual_seed(0)
model = SCSONet()
opt = torch.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=1e-2)
g = torch.Generator().manual_seed(0)
x = torch.rand(8, 3, 256, 256); y = (torch.rand(8, 1, 256, 256) > 0.5).float()
times = []
for i in range(steps + 3):
    t = time.perf_counter()
    xb, yb = augment_batch(x, y, g)
    loss = bce_dice_loss(model(minmax_scale(xb)), yb)
    opt.zero_grad(); loss.backward(); opt.step()
    if i >= 3:
        times.append(time.perf_counter() - t)
times.sort()
median = times[len(times) // 2]
print(json.dumps({"median_step_s": median, "images_per_s": 8 / median,
                  "peak_rss_mb": peak_rss_mb()}))
"""


def _child_env() -> Dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def run_bench(out: Path, steps: int = 20, finetune_pairs: int = 100, finetune_epochs: int = 10) -> Dict:
    """Runs each measurement in a fresh interpreter (clean peak-RSS) and writes JSON to out."""
    import torch

    threads = min(2, os.cpu_count() or 1)
    res = subprocess.run([sys.executable, "-c", THROUGHPUT_SCRIPT, str(steps), str(threads)], env=_child_env(),
                         capture_output=True, text=True, check=True)
    throughput = json.loads(res.stdout.strip().splitlines()[-1])

    from .export import export_model  # noqa: F401  (imported to fail early if torch.onnx is missing)
    from .network import SCSONet
    from .synth import write_synthetic_dataset
    from .train import save_checkpoint

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        write_synthetic_dataset(tmp / "job", finetune_pairs, seed=7)
        torch.manual_seed(0)
        save_checkpoint(tmp / "base.pt", model=SCSONet().state_dict(), name="bench", version="0.0.0")
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "scsonet", "finetune", "--base", str(tmp / "base.pt"), "--data",
                        str(tmp / "job"), "--out", str(tmp / "result"), "--epochs", str(finetune_epochs),
                        "--threads", str(threads)],
                       env=_child_env(), capture_output=True, text=True, check=True)
        finetune_s = time.perf_counter() - t

    result = {
        "benchmark": "model-training",
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(), "threads": threads,
                    "torch": torch.__version__},
        "train_batch8_256": {"images_per_s": round(throughput["images_per_s"], 1),
                             "median_step_ms": round(throughput["median_step_s"] * 1000, 1),
                             "peak_rss_mb": round(throughput["peak_rss_mb"]), "steps": steps},
        "finetune": {"pairs": finetune_pairs, "epochs": finetune_epochs, "wall_s": round(finetune_s, 1),
                     "note": "includes start-up, base and candidate scoring (validation: about 1 in 4 pairs; "
                             "anchor: models/replay/anchor), replay of models/replay/train, per-epoch validation "
                             "and ONNX export"},
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    return result
