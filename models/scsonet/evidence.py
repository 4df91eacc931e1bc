"""What a fine-tuned version keeps as evidence, and which cases it learned from.

The app shows, for each version, a table of base versus candidate Dice on every validation
case, and opens any row to compare the two predictions with the approved mask. Everything that
comparison needs is written next to the model, at the training size, so it stays exact after
the library moves on (a case reopened and corrected again, or deleted)::

    evidence.json
      {"format": "lesiondesk-finetune-evidence/1", "job": "...", "base": "name@version",
       "candidate": "name@version", "size": 256, "threshold": 0.5,
       "cases": [{"id": "<stem>", "caseId": "..." | null, "maskVersionId": "..." | null,
                  "unchanged": false, "base_dsc": 0.81, "candidate_dsc": 0.86,
                  "files": {"image": "evidence/0001.image.png", "final": "evidence/0001.final.png",
                            "base": "evidence/0001.base.png", "candidate": "evidence/0001.candidate.png"}}]}

The Dice values are those of the very masks in the PNGs (thresholded at ``threshold``), so
the table and the pictures cannot disagree. ``unchanged`` marks a case whose approved mask was the
prediction as it was (the gate scores those apart: finetune.validation_parts). Masks are 1-bit PNGs (a few hundred bytes at
256 px); the image is the RGB the network saw.

Provenance goes into the model card (``training.trained_on`` / ``training.validated_on``):
the app's case id and mask version id of every case, so a case's history can say which model
versions learned from which of its masks.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, List, Optional, Sequence

import numpy as np
from PIL import Image

from .job import JobCase, JobData

EVIDENCE_FORMAT = "lesiondesk-finetune-evidence/1"
EVIDENCE_NAME = "evidence.json"
EVIDENCE_DIR = "evidence"
KINDS = ("image", "final", "base", "candidate")


def _cases_by_id(job: JobData) -> Dict[str, JobCase]:
    return {c.id: c for c in job.manifest.cases} if job.manifest else {}


def provenance(job: JobData) -> Dict[str, List[Dict[str, Optional[str]]]]:
    """The card's ``trained_on`` and ``validated_on``: case id and mask version id of each case.

    Without a manifest (a job folder made by hand) the file stem stands in for the case id and
    the mask version is unknown.
    """
    cases = _cases_by_id(job)

    def entry(stem: str) -> Dict[str, Optional[str]]:
        case = cases.get(stem)
        return {"caseId": case.key if case else stem, "maskVersionId": case.mask_version_id if case else None}

    return {"trained_on": [entry(i) for i in job.train_ids], "validated_on": [entry(i) for i in job.val_ids]}


def _mask_png(mask: np.ndarray, path: Path) -> None:
    Image.fromarray(np.asarray(mask, dtype=bool)).save(path, optimize=True)


def write_evidence(
    out: Path, job: JobData, base_id: str, candidate_id: str, size: int, threshold: float,
    base_dsc: Sequence[float], candidate_dsc: Sequence[float],
    base_masks: Sequence[np.ndarray], candidate_masks: Sequence[np.ndarray],
) -> Dict:
    """Writes evidence.json and evidence/*.png into ``out``; returns evidence.json's content."""
    n = len(job.val_ids)
    if not (len(base_dsc) == len(candidate_dsc) == len(base_masks) == len(candidate_masks) == n):
        raise ValueError(f"evidence for {n} validation cases got {len(base_dsc)}/{len(candidate_dsc)} scores and "
                         f"{len(base_masks)}/{len(candidate_masks)} masks")
    folder = Path(out) / EVIDENCE_DIR
    folder.mkdir(parents=True, exist_ok=True)
    cases = _cases_by_id(job)
    rows = []
    for k, stem in enumerate(job.val_ids):
        # Named by row, not by stem: a stem from a hand-made job may hold spaces or any character.
        files = {kind: f"{EVIDENCE_DIR}/{k + 1:04d}.{kind}.png" for kind in KINDS}
        Image.fromarray(job.val_images[k]).save(Path(out) / files["image"], optimize=True)
        _mask_png(job.val_masks[k], Path(out) / files["final"])
        _mask_png(base_masks[k], Path(out) / files["base"])
        _mask_png(candidate_masks[k], Path(out) / files["candidate"])
        case = cases.get(stem)
        rows.append({
            "id": stem,
            "caseId": case.key if case else None,
            "maskVersionId": case.mask_version_id if case else None,
            "unchanged": bool(job.val_unchanged[k]) if k < len(job.val_unchanged) else False,
            "base_dsc": round(float(base_dsc[k]), 5),
            "candidate_dsc": round(float(candidate_dsc[k]), 5),
            "files": files,
        })
    evidence = {"format": EVIDENCE_FORMAT, "job": job.job_id, "base": base_id, "candidate": candidate_id,
                "size": size, "threshold": threshold, "cases": rows}
    (Path(out) / EVIDENCE_NAME).write_text(json.dumps(evidence, indent=2) + "\n")
    return evidence
