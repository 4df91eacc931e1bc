"""Argument parsing for ``python -m scsonet``; every command's errors become one clear line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import List, Optional


def _add_train(sub) -> None:
    p = sub.add_parser("train", help="train SCSONet on a dataset folder (paper recipe)")
    p.add_argument("--data", required=True, help="dataset folder (ISIC 2017, ISIC 2018 or images/ + masks/)")
    p.add_argument("--out", required=True, help="folder for last.pt, best.pt and metrics.json")
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--t-max", type=int, default=50, help="cosine annealing period (paper: 50)")
    p.add_argument("--val-fraction", type=float, default=0.15)
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--size", type=int, default=256, help="training size (multiple of 32)")
    p.add_argument("--paper-augment", action="store_true", help="flips and rotation only (no zoom or colour)")
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--resume", help="checkpoint (last.pt) to continue from")


def _run_train(a) -> int:
    from .train import TrainConfig, train

    if a.size % 32:
        raise ValueError(f"--size {a.size} is not a multiple of 32")
    cfg = TrainConfig(
        data=a.data, out=a.out, epochs=a.epochs, size=a.size, batch_size=a.batch_size, lr=a.lr, t_max=a.t_max,
        val_fraction=a.val_fraction, seed=a.seed, strong_augment=not a.paper_augment, threads=a.threads,
    )
    train(cfg, resume=a.resume)
    return 0


def _add_info(sub) -> None:
    p = sub.add_parser("info", help="parameter count and multiply-adds")
    p.add_argument("--json", action="store_true")
    p.add_argument("--height", type=int, default=256)
    p.add_argument("--width", type=int, default=256)


def _run_info(a) -> int:
    from .flops import count_macs
    from .network import SCSONet, count_parameters

    model = SCSONet().eval()
    info = {"params": count_parameters(model), "macs_g": round(count_macs(model, a.height, a.width) / 1e9, 4),
            "input": [3, a.height, a.width]}
    if a.json:
        print(json.dumps(info))
    else:
        print(f"SCSONet: {info['params']:,} trainable parameters, {info['macs_g']} G multiply-adds at 3x{a.height}x{a.width}")
    return 0


COMMANDS = {"train": (_add_train, _run_train), "info": (_add_info, _run_info)}


def register(name: str, add, run) -> None:
    """Adds a sub-command (used by modules that define their own)."""
    COMMANDS[name] = (add, run)


def build_parser() -> argparse.ArgumentParser:
    """The parser with every sub-command."""
    from . import commands  # noqa: F401  registers the remaining commands

    parser = argparse.ArgumentParser(prog="scsonet", description="SCSONet for LesionDesk")
    sub = parser.add_subparsers(dest="command", required=True)
    for add, _ in COMMANDS.values():
        add(sub)
    return parser


def is_user_error(exc: BaseException) -> bool:
    """Errors whose message is meant for the user (bad paths, broken data, wrong checkpoint), not bugs."""
    if isinstance(exc, (ValueError, FileNotFoundError, OSError)):
        return True
    # DatasetError, CardError and friends derive from Exception in this package.
    return isinstance(exc, Exception) and exc.__class__.__module__.startswith("scsonet")


def main(argv: Optional[List[str]] = None) -> int:
    """Entry point; user errors print one line on stderr and exit 2."""
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command][1](args)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if is_user_error(exc):
            print(f"error: {exc}", file=sys.stderr)
            return 2
        raise
