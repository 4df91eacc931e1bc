"""The command table of ``python -m scsonet``: each sub-command's arguments and what it runs.

cli.py parses and reports errors; this module imports nothing of it (no import loop).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .recipe import DEFAULT_RECIPE as DEFAULTS


def is_user_error(exc: BaseException) -> bool:
    """Errors whose message is meant for the user (bad paths, broken data, wrong checkpoint), not bugs."""
    if isinstance(exc, (ValueError, FileNotFoundError, OSError)):
        return True
    # DatasetError, CardError and friends derive from Exception in this package.
    return isinstance(exc, Exception) and exc.__class__.__module__.startswith("scsonet")


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


def _add_evaluate(sub) -> None:
    p = sub.add_parser("evaluate", help="pooled and per-image metrics of a checkpoint on a dataset")
    p.add_argument("--model", required=True, help="checkpoint (.pt)")
    p.add_argument("--data", required=True, help="dataset folder")
    p.add_argument("--split", choices=["all", "val", "train"], default="all",
                   help="val/train: the split stored in the checkpoint (seed and fraction)")
    p.add_argument("--tta", action="store_true", help="average with horizontal and vertical flips")
    p.add_argument("--threshold", type=float, default=0.5)


def _run_evaluate(a) -> int:
    from .data import load_dataset, select
    from .split import split_ids
    from .train import evaluate_arrays, load_checkpoint, model_from_checkpoint

    ckpt = load_checkpoint(Path(a.model))
    model = model_from_checkpoint(ckpt)
    ds = load_dataset(Path(a.data))
    ids = ds.ids
    if a.split != "all":
        split = ckpt.get("split") or {}
        if "seed" not in split:
            raise ValueError(f"{a.model} records no split; use --split all")
        train_ids, val_ids = split_ids(ds.ids, split["val_fraction"], split["seed"])
        ids = val_ids if a.split == "val" else train_ids
    images, masks = select(ds, ids)
    metrics = evaluate_arrays(model, images, masks, threshold=a.threshold, tta=a.tta)
    print(json.dumps({"model": a.model, "data": a.data, "split": a.split, "tta": a.tta, **metrics}))
    return 0


def _add_export(sub) -> None:
    p = sub.add_parser("export", help="ONNX (opset 17) + model card (+ parity fixture)")
    p.add_argument("--model", help="checkpoint (.pt); without it, an untrained network (for development)")
    p.add_argument("--out", required=True, help="output path without extension, e.g. models/scsonet-isic2017-v1")
    p.add_argument("--name", help="model name (default: from the checkpoint or the file name)")
    p.add_argument("--version", help="model version (default: from the checkpoint, else 0.0.0)")
    p.add_argument("--data", help="dataset for validation metrics on the checkpoint's split and parity inputs")
    p.add_argument("--license", default=None, help="training data licence for the card")
    p.add_argument("--training-data", help="how the card describes the training data (default: the training path)")
    p.add_argument("--parity", type=int, default=4, help="number of parity fixture inputs (0: none)")
    p.add_argument("--checkpoint", action="store_true",
                   help="also write <out>.pt: the weights with name, version and provenance (the base for fine-tuning)")


def _run_export(a) -> int:
    import numpy as np

    from .data import load_dataset, select, to_input
    from .export import base_reference, export_model, seal_card
    from .split import split_ids
    from .network import SCSONet
    from .synth import synth_pair
    from .train import evaluate_arrays, load_checkpoint, model_from_checkpoint, save_checkpoint

    out = Path(a.out)
    ckpt = load_checkpoint(Path(a.model)) if a.model else {}
    model = model_from_checkpoint(ckpt) if a.model else SCSONet()
    name = a.name or ckpt.get("name") or out.name
    version = a.version or ckpt.get("version") or "0.0.0"
    split = ckpt.get("split") or {}
    config = ckpt.get("config") or {}
    training = {
        "data": (a.training_data or config.get("data", "unknown")) if a.model else "untrained (development export)",
        "license": a.license or ckpt.get("license"),
        "split": {k: v for k, v in split.items() if k != "val_ids"},
        "epochs": ckpt.get("epoch"),
        "recipe": (f"BceDice, AdamW lr {config.get('lr')}, weight decay {config.get('weight_decay')}, cosine T_max "
                   f"{config.get('t_max')} (min {config.get('eta_min')}), batch {config.get('batch_size')}, "
                   f"{'flips, rotation, zoom 0.8-1.25, colour jitter' if config.get('strong_augment') else 'flips and rotation'}"
                   ) if config else None,
        "retrain": "npm run model -- train --data <ISIC folder> --out <folder> --epochs N",
    }
    metrics = {"validation": ckpt.get("metrics") or {}}
    parity = None
    rng = np.random.default_rng(0)
    if a.data and split.get("seed") is not None:
        ds = load_dataset(Path(a.data))
        _, val_ids = split_ids(ds.ids, split["val_fraction"], split["seed"])
        images, masks = select(ds, val_ids)
        plain = evaluate_arrays(model, images, masks)
        tta = evaluate_arrays(model, images, masks, tta=True)
        metrics = {
            "validation": {k: round(v, 5) if isinstance(v, float) else v for k, v in plain.items()},
            "validation_tta": {k: round(v, 5) if isinstance(v, float) else v for k, v in tta.items()},
            "split": f"{len(val_ids)} held-out pairs (seed {split['seed']}, fraction {split['val_fraction']})",
            "threshold": 0.5,
        }
        if a.parity:
            parity = to_input(images[: a.parity])
    elif a.parity:
        parity = to_input(np.stack([np.asarray(synth_pair(int(rng.integers(1 << 30)))[0]) for _ in range(a.parity)]))
    base = base_reference(ckpt.get("base"))
    card = export_model(model, out, name, version, training, metrics, base=base, parity_inputs=parity)
    if a.checkpoint:
        if not a.model:
            raise ValueError("--checkpoint needs --model: an untrained network is no base for fine-tuning")
        save_checkpoint(out.with_name(out.name + ".pt"), model=model.state_dict(), name=name, version=version,
                        license=training["license"], split=split, config=config, epoch=ckpt.get("epoch"),
                        metrics=card["metrics"], base=base, onnx_sha256=card["sha256"])
        # The card records the checkpoint's hash: fine-tuning from it checks the file first.
        seal_card(out.with_name(out.name + ".json"), [out.name + ".pt"])
    print(json.dumps({"onnx": str(out) + ".onnx", "card": str(out) + ".json", "sha256": card["sha256"],
                      "metrics": card["metrics"].get("validation")}))
    return 0


def _add_finetune(sub) -> None:
    p = sub.add_parser(
        "finetune", help="fine-tune a checkpoint on a job folder (images/, masks/, optionally manifest.json)",
        description="Trains a candidate from --base on the job's training cases mixed with replay pairs, scores base "
        "and candidate on the job's validation cases and the anchor set, and writes model.pt, model.onnx, model.json "
        "and metrics.json to --out (created only on success). Progress: JSON lines on stdout.")
    p.add_argument("--base", required=True, help="checkpoint to start from (.pt)")
    p.add_argument("--data", required=True, help="job folder: images/, masks/ and optionally manifest.json")
    p.add_argument("--out", required=True, help="result folder (created only on success)")
    p.add_argument("--version", help="version of the candidate (default: base minor + 1)")
    p.add_argument("--epochs", type=int, default=DEFAULTS.epochs)
    p.add_argument("--lr", type=float, default=DEFAULTS.lr)
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--size", type=int, default=256, help="training size (multiple of 32)")
    p.add_argument("--threads", type=int, default=0, help="CPU threads (0: all cores)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--replay", action="append", metavar="DIR",
                   help="replay source, repeatable: a dataset folder, or an earlier job folder (its training cases "
                        "only); default: models/replay/train. When a case is in several, the last source wins")
    p.add_argument("--no-replay", action="store_true", help="train on the job's pairs alone (experiments only)")
    p.add_argument("--replay-ratio", type=float, default=DEFAULTS.replay_ratio, help="replay pairs per training pair per epoch")
    p.add_argument("--replay-max", type=int, default=600,
                   help="at most this many replay pairs are decoded (one seeded sample of all sources per job)")
    p.add_argument("--epoch-pairs", type=int, default=DEFAULTS.epoch_pairs,
                   help="training cases drawn per epoch, cycling through them (0: one pass over them)")
    p.add_argument("--encoder-lr", type=float, default=DEFAULTS.encoder_lr,
                   help="the encoder's learning rate as a fraction of --lr (0: frozen)")
    p.add_argument("--average-last", type=int, default=DEFAULTS.average_last,
                   help="the candidate is the mean of the weights after each of the last K epochs (0: the last epoch's)")
    p.add_argument("--adabn", action=argparse.BooleanOptionalAction, default=DEFAULTS.adabn,
                   help="re-estimate BatchNorm statistics on the training cases after training")
    p.add_argument("--interpolation", type=float, default=DEFAULTS.interpolation,
                   help="the candidate is base + X (trained - base) (WiSE-FT; 1: the trained weights)")
    p.add_argument("--anchor", metavar="DIR", help="fixed set scored for base and candidate (default: models/replay/anchor)")
    p.add_argument("--no-anchor", action="store_true", help="skip the anchor set")
    p.add_argument("--exit-with-stdin", action="store_true",
                   help="cancel (as on SIGTERM) when stdin closes: the app keeps a pipe open, so a job never outlives a "
                        "crashed or killed app")
    # Deprecated, accepted and ignored (with a warning) so older callers keep working; hidden from --help.
    p.add_argument("--patience", type=int, help=argparse.SUPPRESS)


def _finetune_config(a):
    """FinetuneConfig from the parsed options; ValueError for contradictory ones."""
    from .finetune import FinetuneConfig
    from .job import DEFAULT_ANCHOR, DEFAULT_REPLAY

    if a.no_replay and a.replay:
        raise ValueError("--replay and --no-replay contradict each other; give one")
    if a.no_anchor and a.anchor:
        raise ValueError("--anchor and --no-anchor contradict each other; give one")
    if a.patience is not None:
        print("warning: --patience is ignored: the candidate is the last epoch's weights (choosing an epoch on the "
              "validation cases would inflate the score the gate compares); the option will be removed",
              file=sys.stderr)
    replay = [] if a.no_replay else (a.replay or [str(DEFAULT_REPLAY)])
    anchor = None if a.no_anchor else (a.anchor or str(DEFAULT_ANCHOR))
    return FinetuneConfig(base=a.base, data=a.data, out=a.out, version=a.version, epochs=a.epochs, lr=a.lr,
                          batch_size=a.batch_size, size=a.size, threads=a.threads, seed=a.seed, replay=replay,
                          replay_ratio=a.replay_ratio, replay_max=a.replay_max, anchor=anchor,
                          epoch_pairs=a.epoch_pairs, encoder_lr=a.encoder_lr, average_last=a.average_last,
                          adabn=a.adabn, interpolation=a.interpolation)


def _cancel_when_stdin_closes() -> None:
    """Sends this process SIGTERM when stdin reaches end of file (the parent app has gone)."""
    import os
    import signal
    import threading

    def watch() -> None:
        # os.read on the raw descriptor: a daemon thread blocked in sys.stdin's buffered reader
        # holds its lock, and the interpreter aborts when it shuts down around it.
        try:
            while os.read(0, 1 << 12):
                pass
        except OSError:
            pass
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _run_finetune(a) -> int:
    """Runs the job; a user error is also an ``error`` event on stdout, so the app that parses
    the JSON lines gets the same sentence as the ``error:`` line on stderr."""
    from .finetune import JobCancelled, finetune
    from .train import emit

    emit("phase", phase="loading")
    if a.exit_with_stdin:
        _cancel_when_stdin_closes()
    try:
        finetune(_finetune_config(a))
    except JobCancelled:
        print("fine-tuning cancelled; no output written", file=sys.stderr)
        return 143
    except Exception as exc:
        if is_user_error(exc):
            emit("error", message=str(exc))
        raise
    return 0


def _add_replay_sample(sub) -> None:
    p = sub.add_parser("replay-sample", help="choose and copy the committed replay and anchor sample (models/replay)")
    p.add_argument("--data", required=True, help="the shipped model's training data (all 2,000 ISIC 2017 pairs)")
    p.add_argument("--out", required=True, help="e.g. models/replay; train/ and anchor/ in it are replaced")
    p.add_argument("--train", type=int, default=250, help="pairs from the model's training split")
    p.add_argument("--anchor", type=int, default=50, help="pairs from the model's validation split")
    p.add_argument("--seed", type=int, default=2017, help="seed of the choice")
    p.add_argument("--val-fraction", type=float, default=0.15, help="the model's split (its card: training.split)")
    p.add_argument("--split-seed", type=int, default=42, help="the model's split seed (its card: training.split)")


def _run_replay_sample(a) -> int:
    from .replay import write_replay_sample

    result = write_replay_sample(Path(a.data), Path(a.out), a.train, a.anchor, a.seed, a.val_fraction, a.split_seed)
    print(json.dumps(result))
    return 0


def _add_synth(sub) -> None:
    p = sub.add_parser("synth", help="synthetic dermoscopy-like images with masks (tests, benchmarks)")
    p.add_argument("--out", required=True)
    p.add_argument("--count", type=int, default=10)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--size", action="append", help="WIDTHxHEIGHT, repeatable (default 256x256); 'mixed' for 256x256..6000x4000")
    p.add_argument("--domain", choices=["default", "shifted"], default="default")
    p.add_argument("--format", choices=["jpg", "png", "tif", "bmp", "webp"], default="jpg")


def _run_synth(a) -> int:
    from .synth import SIZES, parse_size, write_synthetic_dataset

    sizes = []
    for s in a.size or ["256x256"]:
        sizes.extend(SIZES if s == "mixed" else [parse_size(s)])
    ids = write_synthetic_dataset(Path(a.out), a.count, a.seed, sizes, a.domain, a.format)
    print(json.dumps({"out": a.out, "count": len(ids)}))
    return 0


def _add_bench(sub) -> None:
    p = sub.add_parser("bench", help="training throughput, peak memory, fine-tuning wall time")
    p.add_argument("--out", default="bench/results/model-training.json")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--finetune-pairs", type=int, default=100)
    p.add_argument("--finetune-epochs", type=int, default=10)


def _run_bench(a) -> int:
    from .bench import run_bench

    result = run_bench(Path(a.out), a.steps, a.finetune_pairs, a.finetune_epochs)
    print(json.dumps(result, indent=2))
    return 0


INTERACTIVE_ACTIONS = ("init", "train", "export", "evaluate")


def _add_interactive(sub) -> None:
    p = sub.add_parser(
        "interactive", help="the interactive model (box + clicks): init | train | export | evaluate",
        description="init: the interactive network from an automatic checkpoint (extra input channels zero), exported "
        "to --out. train: train it on --data's training split (never its held-out pairs), checkpoint every epoch in "
        "--work. export: ONNX + card + checkpoint from a training checkpoint, with the held-out click metrics when "
        "--data is given. evaluate: the click protocol on --data's held-out pairs (JSON on stdout).")
    p.add_argument("action", choices=INTERACTIVE_ACTIONS)
    p.add_argument("--base", default="models/scsonet-isic2017-v1.pt", help="the automatic model's checkpoint")
    p.add_argument("--model", help="interactive checkpoint (train: to resume; export/evaluate: the weights)")
    p.add_argument("--data", help="dataset folder (the automatic model's training data)")
    p.add_argument("--out", default="models/scsonet-interactive-v1", help="output path without extension")
    p.add_argument("--work", help="train: folder for last.pt and the log of epochs")
    p.add_argument("--version", default=None, help="model version for the card")
    p.add_argument("--epochs", type=int, default=12)
    p.add_argument("--minutes", type=float, default=0, help="train: stop after the epoch that passes this (0: no limit)")
    p.add_argument("--batch-size", type=int, default=8)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--threads", type=int, default=1,
                   help="torch threads (default 1: on a busy 2-core machine, 2 threads ran 7x slower than 1)")
    p.add_argument("--seed", type=int, default=42, help="the split's seed (the automatic model's: 42)")
    p.add_argument("--val-fraction", type=float, default=0.15, help="the split's held-out fraction (0.15)")
    p.add_argument("--limit", type=int, default=0, help="evaluate: only the first N held-out pairs (0: all)")
    p.add_argument("--metrics", help="export: a JSON file of metrics (from evaluate) to put in the card")
    p.add_argument("--shard", default="0/1", help="evaluate: i/n, every n-th held-out pair from the i-th (parallel runs)")
    p.add_argument("--rows", help="evaluate: write the per-pair rows to this JSON file")
    p.add_argument("--from-rows", nargs="+", help="evaluate: summarise rows written by earlier runs instead")
    p.add_argument("--box-only", action="store_true", help="evaluate: box Dice only, no click sessions")
    p.add_argument("--note", action="append", help="export: a sentence on how the run went, for the card's training.history")


def _run_interactive(a) -> int:
    from .interactive_cmd import run

    return run(a)


# name -> (add the sub-parser, run it); the order is --help's.
COMMANDS = {
    "train": (_add_train, _run_train),
    "info": (_add_info, _run_info),
    "evaluate": (_add_evaluate, _run_evaluate),
    "export": (_add_export, _run_export),
    "finetune": (_add_finetune, _run_finetune),
    "replay-sample": (_add_replay_sample, _run_replay_sample),
    "synth": (_add_synth, _run_synth),
    "bench": (_add_bench, _run_bench),
    "interactive": (_add_interactive, _run_interactive),
}
