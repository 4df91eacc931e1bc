"""``npm run bench:finetune-shift``: does fine-tuning win back what a second camera takes away?

The real job (``python -m scsonet finetune``, the command the app and ``lesiondesk finetune``
spawn) fine-tunes the shipped model on N corrections taken through an acquisition change
(``shifts.py``), once per recipe (``recipe.Recipe``), shift and N; each candidate is then scored
on cases that no job ever held.

The cases: the shipped model's held-out split (its card's ``training.split``), minus the 50
anchor pairs: 250 ISIC 2017 photos it never trained on. The content rule (``split.split_of_file``
on each original photo's bytes) divides them:

- its **validation** side (66 cases), with the 50 anchor pairs (which no job trains on either:
  jobs score on them, never train), is the **unseen** set (116 cases) that **reports** every
  result;
- its **training** side (184 cases), in a seeded order, gives the **corrections** (the first
  ``max_train`` cases; a job of N corrections trains on the first round(0.75 N), as the rule
  trains on about 3 in 4 of an app's approved cases) and the **development** cases (the rest):
  a job's own validation cases are the first N - round(0.75 N) of them, and the recipe is chosen
  on all of them, never on the unseen cases.

Recovered fraction of a shift: (candidate - base on the shifted cases) / (base on the same cases
unshifted - base on the shifted cases). Every candidate is also scored on the unseen cases
unshifted (forgetting), and the job scores it on the anchor set.

Every job runs with ``--seeds`` seeds (default 2): one job's share swings by tens of points with
its seed, so the table reports the mean and the range. The ceiling (``--ceiling``, on by
default) runs the chosen recipe with 4 x the training on every training-side case but the job's
validation cases: what the trainer reaches with far more corrections and time.

Each job runs in a fresh process with one thread (``--threads``), so its time and peak memory
(the job's own ``seconds`` and peak resident memory, in metrics.json) are its own.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from PIL import Image

from .recipe import DEFAULT_RECIPE, Recipe
from .shifts import SHIFTS, apply_shift

MODELS_DIR = Path(__file__).resolve().parents[1]
REPO = MODELS_DIR.parent
BASE = MODELS_DIR / "scsonet-isic2017-v1.pt"
ANCHOR_IMAGES = MODELS_DIR / "replay" / "anchor" / "images"
DEFAULT_DATA = REPO.parent / "shared" / "data" / "isic2017-train-256"
RESULTS = REPO / "bench" / "results" / "finetune-shift.json"
TRAIN_SHARE = 0.75  # about 3 in 4 of a job's corrections train (split.VALIDATION_ONE_IN = 4)
ORDER_SEED = 17

#: The recipes compared. ``v1`` is the job's recipe before issue 17; the others change one or two
#: things each (recipe.Recipe documents the settings). Every setting is written out, so a recipe
#: keeps its meaning when the defaults change.
RECIPES: Dict[str, Recipe] = {
    "v1": Recipe(epochs=10, lr=2e-4, replay_ratio=1.0, epoch_pairs=0, interpolation=1.0),
    "v1-lr": Recipe(epochs=10, lr=5e-4, replay_ratio=1.0, epoch_pairs=0, interpolation=1.0),
    "steps": Recipe(epochs=10, lr=5e-4, replay_ratio=1.0, epoch_pairs=48, interpolation=1.0),
    "steps-layerwise": Recipe(epochs=10, lr=5e-4, replay_ratio=1.0, epoch_pairs=48, encoder_lr=0.2, interpolation=1.0),
    "steps-avg": Recipe(epochs=10, lr=5e-4, replay_ratio=1.0, epoch_pairs=48, average_last=4, interpolation=1.0),
    "steps-adabn": Recipe(epochs=10, lr=5e-4, replay_ratio=1.0, epoch_pairs=48, adabn=True, interpolation=1.0),
    "steps-replay2": Recipe(epochs=10, lr=5e-4, replay_ratio=2.0, epoch_pairs=32, interpolation=1.0),
    "steps-frozen": Recipe(epochs=10, lr=5e-4, replay_ratio=1.0, epoch_pairs=48, encoder_lr=0.0, interpolation=1.0),
    "steps-wise": Recipe(epochs=10, lr=1e-3, replay_ratio=1.0, epoch_pairs=48, interpolation=0.8),
    "steps-replay2-wise": Recipe(epochs=10, lr=1e-3, replay_ratio=2.0, epoch_pairs=32, interpolation=0.8),
}
#: The second round's comparison (the first, with v1, steps-avg and steps-layerwise, is in the README).
DEFAULT_RECIPES = ("steps", "steps-replay2", "steps-wise", "steps-replay2-wise")
CEILING = "ceiling"


def ceiling_recipe(chosen: Recipe) -> Recipe:
    """The chosen recipe with twice the epochs, twice the draws per epoch, and the trained weights as they are."""
    from dataclasses import replace

    return replace(chosen, epochs=chosen.epochs * 2, epoch_pairs=max(chosen.epoch_pairs, 48) * 2, interpolation=1.0,
                   average_last=0)


DEFAULT_SHIFTS = ("none", "camera", "colour", "soft", "hair")
#: The choice's tolerance for forgetting: a recipe whose candidate loses more than this on the
#: development cases unshifted, in any run, is not chosen (the gate allows 1 point on its anchors).
MAX_UNSHIFTED_DROP = 0.01


def held_out_ids(data: Path) -> List[str]:
    """The shipped model's held-out ids (its card's split) minus the committed anchor pairs."""
    from .data import index_dataset
    from .split import split_ids

    card = json.loads((MODELS_DIR / "scsonet-isic2017-v1.json").read_text())
    split = card["training"]["split"]
    ids = [p.id for p in index_dataset(data).pairs]
    anchors = set(anchor_ids())
    return [i for i in split_ids(ids, split["val_fraction"], split["seed"])[1] if i not in anchors]


def anchor_ids() -> List[str]:
    """The committed anchor pairs' ids: held out by the shipped model, scored by every job, trained on by none."""
    return sorted(p.stem for p in ANCHOR_IMAGES.iterdir())


def bench_split(data: Path, ids: Sequence[str], max_train: int, anchors: Sequence[str] = ()) -> Dict[str, List[str]]:
    """unseen (the content rule's validation side and the anchors), corrections and development (the training side).

    The anchors join the unseen cases because no job trains on them (the replay excludes them and
    they are never a correction): 116 cases instead of 66 measure a shift's few points of loss
    with about a third less noise.
    """
    from .split import split_of_file

    sides = {i: split_of_file(data / "images" / f"{i}.jpg") for i in ids}
    unseen = sorted([i for i in ids if sides[i] == "validation"] + list(anchors))
    pool = sorted(i for i in ids if sides[i] == "train")
    order = [pool[k] for k in np.random.default_rng(ORDER_SEED).permutation(len(pool))]
    return {"unseen": unseen, "corrections": order[:max_train], "development": order[max_train:]}


def job_sizes(n: int) -> Tuple[int, int]:
    """(training, validation) cases of a job of n corrections."""
    n_train = max(1, round(n * TRAIN_SHARE))
    return n_train, max(1, n - n_train)


class Cases:
    """Decoded pairs (256 px) and their shifted versions, made once per shift."""

    def __init__(self, data: Path, ids: Sequence[str]) -> None:
        from .data import decode_pair, index_dataset

        pairs = {p.id: p for p in index_dataset(data).pairs}
        self.ids = list(ids)
        decoded = [decode_pair(pairs[i], 256) for i in self.ids]
        self.images = {i: im for i, (im, _) in zip(self.ids, decoded)}
        self.masks = {i: m for i, (_, m) in zip(self.ids, decoded)}
        self._shifted: Dict[str, Dict[str, np.ndarray]] = {}

    def shifted(self, shift: str) -> Dict[str, np.ndarray]:
        if shift not in self._shifted:
            self._shifted[shift] = {i: apply_shift(shift, self.images[i], i) for i in self.ids}
        return self._shifted[shift]

    def arrays(self, ids: Sequence[str], shift: str) -> Tuple[np.ndarray, np.ndarray]:
        images = self.shifted(shift)
        return np.stack([images[i] for i in ids]), np.stack([self.masks[i] for i in ids])


def write_job(folder: Path, cases: Cases, shift: str, train: Sequence[str], validation: Sequence[str]) -> None:
    """A job folder as the app writes one: PNG pairs at the model's size and a manifest with the split."""
    (folder / "images").mkdir(parents=True)
    (folder / "masks").mkdir()
    images = cases.shifted(shift)
    for i in [*train, *validation]:
        Image.fromarray(images[i]).save(folder / "images" / f"{i}.png")
        Image.fromarray(cases.masks[i].astype(np.uint8) * 255).save(folder / "masks" / f"{i}.png")
    entries = [{"id": i, "caseId": i, "maskVersionId": f"bench-{i}", "split": s}
               for s, group in (("train", train), ("validation", validation)) for i in group]
    (folder / "manifest.json").write_text(json.dumps({
        "format": "lesiondesk-finetune-job/1", "jobId": folder.name, "base": "scsonet-isic2017@1.0.0",
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "cases": entries}))


def dice(model, arrays: Tuple[np.ndarray, np.ndarray]) -> float:
    from .train import evaluate_arrays

    return round(evaluate_arrays(model, arrays[0], arrays[1], batch_size=8)["dsc"], 5)


def recovered(candidate: float, shifted: float, unshifted: float) -> Optional[float]:
    """The share of the shift's loss the candidate won back; None when the shift cost (almost) nothing."""
    loss = unshifted - shifted
    return round((candidate - shifted) / loss, 3) if loss > 0.005 else None


def run_job(work: Path, cases: Cases, split: Dict[str, List[str]], recipe: Recipe, n: int, shift: str,
            threads: int, seed: int = 0, ceiling: bool = False) -> Dict:
    """One fine-tuning job through the real command; its metrics and the candidate's scores.

    ``ceiling``: the job trains on every case of the training side but its own validation cases
    (corrections and development alike), so its development scores are not held out (None).
    """
    from .checkpoint import read_checkpoint
    from .train import model_from_checkpoint

    n_train, n_val = job_sizes(n)
    train = split["corrections"][:n_train]
    if ceiling:
        train = split["corrections"] + split["development"][n_val:]
        n_train, n = len(train), len(train) + n_val
    job = work / f"job-{os.getpid()}-{time.monotonic_ns()}"
    out = job.with_name(job.name + "-result")
    write_job(job, cases, shift, train, split["development"][:n_val])
    command = [sys.executable, "-m", "scsonet", "finetune", "--base", str(BASE), "--data", str(job), "--out", str(out),
               "--threads", str(threads), "--seed", str(seed), *recipe.cli_args()]
    env = {**os.environ, "PYTHONPATH": str(MODELS_DIR)}
    t0 = time.perf_counter()
    res = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if res.returncode != 0:
        raise RuntimeError(f"the job failed ({res.returncode}): {res.stderr[-2000:]}")
    metrics = json.loads((out / "metrics.json").read_text())
    ckpt, _ = read_checkpoint(out / "model.pt")
    model = model_from_checkpoint(ckpt)
    row = {
        "n": n, "train": n_train, "validation": n_val, "shift": shift, "seed": seed,
        "seconds": metrics["seconds"], "wall_seconds": round(wall, 1), "peak_rss_mb": metrics["peak_rss_mb"],
        "load_average": round(os.getloadavg()[0], 2),
        "anchor": {"base": metrics["anchor"]["base"]["dsc"], "candidate": metrics["anchor"]["candidate"]["dsc"]},
        "job_validation": {"base": metrics["validation"]["base"]["dsc"],
                           "candidate": metrics["validation"]["candidate"]["dsc"]},
        "candidate": {
            "unseen": dice(model, cases.arrays(split["unseen"], shift)),
            "unseen_unshifted": dice(model, cases.arrays(split["unseen"], "none")),
            "development": None if ceiling else dice(model, cases.arrays(split["development"], shift)),
            "development_unshifted": None if ceiling else dice(model, cases.arrays(split["development"], "none")),
        },
    }
    shutil.rmtree(job, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    return row


def score_row(row: Dict, base: Dict[str, Dict[str, float]]) -> Dict:
    """Adds the base's scores and the recovered fractions to a job's row."""
    b, none, c = base[row["shift"]], base["none"], row["candidate"]
    row["base"] = {"unseen": b["unseen"], "unseen_unshifted": none["unseen"],
                   "development": b["development"], "development_unshifted": none["development"]}
    row["recovered"] = {"unseen": recovered(c["unseen"], b["unseen"], none["unseen"]),
                        "development": None if c["development"] is None else
                        recovered(c["development"], b["development"], none["development"])}
    return row


def choose(rows: Sequence[Dict], recipes: Sequence[str], n: int) -> Tuple[str, Dict[str, Dict]]:
    """The recipe chosen on the development cases alone, and each recipe's development summary.

    Eligible: in no run (whatever its shift) does the candidate lose more than 1 point
    (MAX_UNSHIFTED_DROP) on the development cases unshifted. Among those, the highest mean
    recovered fraction over the shifts on the development cases (all recipes when none is).
    """
    summary = {}
    for name in recipes:
        mine = [r for r in rows if r["recipe"] == name and r["n"] == n]
        fractions = [r["recovered"]["development"] for r in mine if r["recovered"]["development"] is not None]
        worst_unshifted = min(r["candidate"]["development_unshifted"] - r["base"]["development_unshifted"] for r in mine)
        summary[name] = {"mean_recovered": round(float(np.mean(fractions)), 3) if fractions else None,
                         "min_recovered": round(float(np.min(fractions)), 3) if fractions else None,
                         "worst_unshifted_change": round(worst_unshifted, 5),
                         "eligible": worst_unshifted >= -MAX_UNSHIFTED_DROP}
    eligible = [k for k, v in summary.items() if v["eligible"] and v["mean_recovered"] is not None]
    pick = max(eligible or list(summary), key=lambda k: summary[k]["mean_recovered"] or -1e9)
    return pick, summary


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} x {cpu}, {mem:.0f} GiB, {platform.system().lower()}"


def _list(value: str, known: Sequence[str], what: str) -> List[str]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    unknown = [v for v in items if v not in known]
    if unknown:
        raise SystemExit(f"unknown {what}: {', '.join(unknown)} (known: {', '.join(known)})")
    return items


def main(argv: Optional[Sequence[str]] = None) -> int:
    p = argparse.ArgumentParser(prog="npm run bench:finetune-shift --", description=__doc__.split("\n\n")[0])
    p.add_argument("--data", default=str(DEFAULT_DATA), help="ISIC 2017 folder (images/ + masks/)")
    p.add_argument("--shifts", default=",".join(DEFAULT_SHIFTS), help=f"comma-separated, of: {', '.join(SHIFTS)}")
    p.add_argument("--recipes", default=",".join(DEFAULT_RECIPES), help=f"compared at --choose-n, of: {', '.join(RECIPES)}")
    p.add_argument("--n", default="20,50,100", help="numbers of corrections (the chosen recipe runs at each)")
    p.add_argument("--choose-n", type=int, default=50, help="the number of corrections the recipes are compared at")
    p.add_argument("--threads", type=int, default=1, help="PyTorch threads of each job")
    p.add_argument("--ceiling", action=argparse.BooleanOptionalAction, default=True,
                   help="also run the ceiling: the chosen recipe with 4 x the training on every case of the training "
                        "side (what the trainer reaches with far more corrections and time)")
    p.add_argument("--seeds", type=int, default=2,
                   help="jobs per recipe, shift and N, with seeds 0..K-1 (one job's result swings by tens of points "
                        "of the share won back with its seed; the table gives the mean)")
    p.add_argument("--parallel", type=int, default=1,
                   help="jobs at once (each in its own process with --threads threads; 2 on a 2-core machine)")
    p.add_argument("--out", default=str(RESULTS))
    args = list(sys.argv[1:] if argv is None else argv)
    a = p.parse_args(args)
    shifts = _list(a.shifts, list(SHIFTS), "shift")
    if "none" not in shifts:
        shifts.insert(0, "none")  # the unshifted condition is every recovered fraction's reference
    recipes = _list(a.recipes, list(RECIPES), "recipe")
    ns = sorted({int(x) for x in a.n.split(",")} | {a.choose_n})
    data = Path(a.data)
    if not (data / "images").is_dir():
        print(f"bench:finetune-shift needs the ISIC 2017 pairs in {data} (images/ + masks/); pass --data DIR",
              file=sys.stderr)
        return 2

    import torch

    torch.set_num_threads(a.threads)
    from .checkpoint import read_checkpoint
    from .train import model_from_checkpoint

    started = time.time()
    load_before = os.getloadavg()
    ids = held_out_ids(data)
    anchors = anchor_ids()
    max_train = job_sizes(max(ns))[0]
    split = bench_split(data, ids, max_train, anchors)
    if len(split["development"]) < job_sizes(max(ns))[1]:
        raise SystemExit(f"too few development cases ({len(split['development'])}) for {max(ns)} corrections")
    cases = Cases(data, [*ids, *anchors])
    base_model = model_from_checkpoint(read_checkpoint(BASE)[0])
    base = {s: {"unseen": dice(base_model, cases.arrays(split["unseen"], s)),
                "development": dice(base_model, cases.arrays(split["development"], s))} for s in shifts}
    print(f"{len(ids)} held-out cases: {len(split['unseen'])} unseen (report), {len(split['corrections'])} corrections, "
          f"{len(split['development'])} development (choose); base Dice unseen: "
          + ", ".join(f"{s} {base[s]['unseen']:.3f}" for s in shifts), file=sys.stderr, flush=True)

    rows: List[Dict] = []
    with tempfile.TemporaryDirectory(prefix="lesiondesk-bench-shift-") as tmp:
        def run(name: str, recipe: Recipe, n: int, shift: str, seed: int) -> None:
            row = score_row({"recipe": name, **run_job(Path(tmp), cases, split, recipe, n, shift, a.threads, seed,
                                                       ceiling=name == CEILING)}, base)
            rows.append(row)
            c, r = row["candidate"], row["recovered"]
            print(f"[{time.time() - started:6.0f} s] {name:18s} N={row['n']:3d} {shift:10s} seed {seed} unseen {row['base']['unseen']:.3f} -> "
                  f"{c['unseen']:.3f} (recovered {r['unseen']}), dev recovered {r['development']}, unshifted "
                  f"{c['unseen_unshifted']:.3f}, anchor {row['anchor']['base']:.3f} -> {row['anchor']['candidate']:.3f}, "
                  f"{row['seconds']} s, {row['peak_rss_mb']} MB", file=sys.stderr, flush=True)

        def run_all(runs: Sequence[Tuple[str, Recipe, int, str, int]]) -> None:
            # Jobs are separate processes; the threads only wait for them (and score their candidates).
            with ThreadPoolExecutor(max_workers=a.parallel) as pool:
                for future in [pool.submit(run, *r) for r in runs]:
                    future.result()

        # Stage 1: every recipe at choose_n, on every shift; chosen on the development cases.
        run_all([(name, RECIPES[name], a.choose_n, shift, seed) for name in recipes for shift in shifts
                 for seed in range(a.seeds)])
        chosen, summary = choose(rows, recipes, a.choose_n)
        print(f"chosen on the development cases: {chosen} ({summary[chosen]})", file=sys.stderr, flush=True)
        # Stage 2: the chosen recipe at the other numbers of corrections.
        run_all([(chosen, RECIPES[chosen], n, shift, seed) for n in ns if n != a.choose_n for shift in shifts
                 for seed in range(a.seeds)])
        # Stage 3: what more cases and more training reach (not a candidate: it trains on the development cases).
        if a.ceiling:
            run_all([(CEILING, ceiling_recipe(RECIPES[chosen]), a.choose_n, shift, 0) for shift in shifts if shift != "none"])
        rows.sort(key=lambda r: (r["recipe"], r["n"], shifts.index(r["shift"]), r["seed"]))

    default_name = next((k for k, v in RECIPES.items() if v == DEFAULT_RECIPE), None)
    result = {
        "benchmark": "finetune-shift",
        "command": "npm run bench:finetune-shift" + (" -- " + " ".join(args) if args else ""),
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": _machine(),
        "python": sys.version.split()[0], "torch": torch.__version__, "threads": a.threads,
        "parallel": a.parallel, "seeds": a.seeds,
        "load_average": {"start": [round(x, 2) for x in load_before], "end": [round(x, 2) for x in os.getloadavg()]},
        "minutes": round((time.time() - started) / 60, 1),
        "base": "scsonet-isic2017@1.0.0",
        "split": {
            "rule": "the shipped model's held-out split (card: seed 42, fraction 0.15) minus the 50 anchor pairs; "
                    "split.split_of_file on each original photo: validation side + the 50 anchors (which no job trains "
                    "on) = unseen (reports), training side = "
                    f"corrections (first {max_train} in seed-{ORDER_SEED} order) + development (the rest: each job's "
                    "validation cases, and the cases the recipe is chosen on)",
            "job": f"N corrections = round({TRAIN_SHARE} N) training cases from the corrections + the rest as the "
                   "job's validation cases from the development cases",
            **{k: v for k, v in split.items()},
        },
        "shifts": {s: SHIFTS[s][1] for s in shifts},
        "recipes": {k: RECIPES[k].as_dict() for k in recipes},
        "ceiling": {"recipe": ceiling_recipe(RECIPES[chosen]).as_dict(),
                    "cases": "every training-side case but the job's validation cases (corrections and development)"}
        if a.ceiling else None,
        "base_dice": base,
        "choice": {"n": a.choose_n, "on": "development cases", "rule": choose.__doc__.split("\n\n")[1].strip(),
                   "chosen": chosen, "summary": summary,
                   # The job's default recipe (recipe.DEFAULT_RECIPE) in the tree the benchmark ran from.
                   "default_recipe_when_run": default_name},
        "runs": rows,
        "targets": {"recovered_at_50": 0.9, "unshifted": "never worse than the base",
                    "seconds_at_100": 90, "peak_rss_mb_at_100": 800},
    }
    Path(a.out).write_text(json.dumps(result, indent=2) + "\n")
    print_table(result, file=sys.stdout)
    print(f"Wrote {a.out}", file=sys.stdout)
    return 0


def print_table(result: Dict, file=sys.stdout) -> None:
    """Markdown rows: per recipe and N, each shift's unseen Dice base -> candidate (share won back), the
    mean over the seeds with the seeds' range of the share; the worst change on the unseen cases
    unshifted after any of those jobs (forgetting), the anchors' change, the slowest job."""
    chosen = result["choice"]["chosen"]
    shifts = list(result["shifts"])
    print("| recipe | N | " + " | ".join(shifts) + " | unshifted, worst | anchor | s / MB (max) |", file=file)
    print("| --- | --- | " + " | ".join("---" for _ in shifts) + " | --- | --- | --- |", file=file)
    keys = sorted({(r["recipe"], r["n"]) for r in result["runs"]}, key=lambda k: (k[0] != chosen, k[0], k[1]))
    for name, n in keys:
        mine = [r for r in result["runs"] if r["recipe"] == name and r["n"] == n]
        cells = []
        for s in shifts:
            runs = [r for r in mine if r["shift"] == s]
            if not runs:
                cells.append("")
                continue
            fracs = [r["recovered"]["unseen"] for r in runs if r["recovered"]["unseen"] is not None]
            cell = f"{runs[0]['base']['unseen']:.3f} -> {np.mean([r['candidate']['unseen'] for r in runs]):.3f}"
            if fracs:
                spread = f", {min(fracs) * 100:.0f}-{max(fracs) * 100:.0f}" if len(fracs) > 1 else ""
                cell += f" ({np.mean(fracs) * 100:.0f} %{spread})"
            cells.append(cell)
        forgetting = min(r["candidate"]["unseen_unshifted"] - r["base"]["unseen_unshifted"] for r in mine)
        anchors = [r["anchor"]["candidate"] - r["anchor"]["base"] for r in mine]
        secs = max(r["seconds"] for r in mine)
        mb = max(r["peak_rss_mb"] for r in mine)
        print(f"| {name}{' (chosen)' if name == chosen else ''} | {n} | " + " | ".join(cells)
              + f" | {forgetting * 100:+.1f} pts | {min(anchors) * 100:+.1f} to {max(anchors) * 100:+.1f} pts"
              + f" | {secs:.0f} / {mb} |", file=file)

if __name__ == "__main__":
    sys.exit(main())
