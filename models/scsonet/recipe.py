"""The fine-tuning recipe's settings and their defaults, without importing PyTorch.

``finetune.FinetuneConfig`` and the ``finetune`` command's options take their defaults from
``DEFAULT_RECIPE``; ``finetune_shift`` (``npm run bench:finetune-shift``) compares named recipes
side by side on shifted real photos and chose this default (see the README's benchmarks).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Dict, List


@dataclass(frozen=True)
class Recipe:
    """What shapes a candidate besides the data: the training schedule and what the candidate is.

    The defaults are the recipe ``bench:finetune-shift`` chose on its development cases (its
    ``steps-wise``): 48 correction draws and as many replay pairs per epoch for 10 epochs at lr
    1e-3, whatever the number of corrections, and the candidate 0.8 of the way from the base to
    the trained weights. Its first round chose ``steps`` (lr 5e-4, the trained weights as they
    are); before issue 17 an epoch was one pass over the corrections at lr 2e-4 (``v1`` there), so
    the amount of training grew with the job.
    """

    epochs: int = 10
    lr: float = 1e-3
    replay_ratio: float = 1.0  # replay pairs per correction drawn in an epoch
    # Corrections per epoch: 0, one pass over the training cases (training grows with the job);
    # N > 0, N draws cycling through shuffled passes (the same amount of training for any job).
    epoch_pairs: int = 48
    encoder_lr: float = 1.0  # the encoder's learning rate as a fraction of lr (layer-wise rates; 0: frozen)
    average_last: int = 0  # the candidate is the mean of the weights after each of the last k epochs (0: the last)
    adabn: bool = False  # BatchNorm statistics re-estimated on the training corrections after training
    # WiSE-FT (Wortsman et al., CVPR 2022): the candidate is base + interpolation x (trained - base),
    # every weight and BatchNorm statistic; below 1 it keeps part of the base, which forgets less.
    interpolation: float = 0.8

    def cli_args(self) -> List[str]:
        """The ``finetune`` command's options that select this recipe."""
        return ["--epochs", str(self.epochs), "--lr", repr(self.lr), "--replay-ratio", repr(self.replay_ratio),
                "--epoch-pairs", str(self.epoch_pairs), "--encoder-lr", repr(self.encoder_lr),
                "--average-last", str(self.average_last), "--adabn" if self.adabn else "--no-adabn",
                "--interpolation", repr(self.interpolation)]

    def as_dict(self) -> Dict:
        return asdict(self)


DEFAULT_RECIPE = Recipe()
