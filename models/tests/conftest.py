"""Shared fixtures: small synthetic datasets and a base model trained on them (built once per run)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from scsonet.synth import write_synthetic_dataset
from scsonet.train import TrainConfig, train

MODELS_DIR = Path(__file__).resolve().parents[1]


def run_cli(*args, **kwargs) -> subprocess.CompletedProcess:
    """``python -m scsonet ARGS`` in a child process, output captured as text."""
    env = {**os.environ, "PYTHONPATH": str(MODELS_DIR)}
    return subprocess.run([sys.executable, "-m", "scsonet", *map(str, args)], env=env, capture_output=True, text=True,
                          **kwargs)


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory):
    """default/: 48 pairs of the default synthetic domain; shifted/: 40 pairs of another 'dermoscope'."""
    root = tmp_path_factory.mktemp("synth")
    write_synthetic_dataset(root / "default", 48, seed=1, sizes=((96, 96), (128, 96)))
    write_synthetic_dataset(root / "shifted", 40, seed=2, sizes=((96, 96),), domain="shifted")
    return root


@pytest.fixture(scope="session")
def base_checkpoint(synthetic, tmp_path_factory):
    """A base model trained for a few epochs on the default domain at 64 px."""
    out = tmp_path_factory.mktemp("base")
    cfg = TrainConfig(data=str(synthetic / "default"), out=str(out), epochs=6, t_max=6, size=64, val_fraction=0.25,
                      seed=0, threads=2)
    train(cfg)
    return out / "best.pt"


@pytest.fixture(scope="session")
def cli():
    """The run_cli function, for tests that run sub-commands in a child process."""
    return run_cli
