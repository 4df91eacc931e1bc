"""Writes interactive-encoding-cases.json: the interactive model's encoding, case by case.

The fixture both sides check: Python (tests/test_interactive_encoding.py, against scsonet/interactive.py)
and TypeScript (preload/interactive.ts). Large arrays are stored as run lengths over the flat,
row-major array, starting with a run of zeros (possibly 0 long); probabilities to paste back are
given by a formula both sides evaluate (values k/255, as the contract's 8-bit probabilities are).

Run: PYTHONPATH=models /usr/bin/python3 models/tests/make_interactive_cases.py
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from scsonet.interactive import (CLICK_RADIUS, GRID, REGION_RULE, clamp_region, click_maps, click_region, grid_clicks,
                                 paste_back, run_lengths, sample_prev)

OUT = Path(__file__).resolve().parent / "interactive-encoding-cases.json"

#: prob[i][j] of a paste-back case, as both sides compute it (i: grid row, j: grid column).
PROB_FORMULAS = {
    "stripes": "((i * 7 + j * 13) % 256) / 255",
    "disc": "(i - 120) ** 2 + (j - 140) ** 2 <= 90 ** 2 ? 200 / 255 : 40 / 255",
}


def prob_grid(name: str) -> np.ndarray:
    i, j = np.mgrid[0:GRID, 0:GRID]
    if name == "stripes":
        return ((i * 7 + j * 13) % 256) / 255
    return np.where((i - 120) ** 2 + (j - 140) ** 2 <= 90 ** 2, 200 / 255, 40 / 255)


def ellipse(width: int, height: int, cx: float, cy: float, rx: float, ry: float) -> np.ndarray:
    y, x = np.mgrid[0:height, 0:width]
    return ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1


def encoding_cases():
    """Region, clicks and a small mask -> the grid clicks, click maps and previous mask."""
    mask_a = ellipse(40, 30, 18, 14, 11, 8)
    mask_b = ellipse(300, 200, 150, 90, 70, 40) | ellipse(300, 200, 30, 170, 12, 9)
    cases = [
        ("whole small image", 40, 30, (0, 0, 40, 30), [(18, 14, True), (2, 27, False)], mask_a),
        ("inner region of a small image", 40, 30, (5, 3, 37, 27), [(20, 10, True), (6, 4, False), (36, 26, False)],
         mask_a),
        ("region touching the border, click on its corner pixels", 40, 30, (0, 10, 17, 30),
         [(0, 10, True), (16, 29, False)], mask_a),
        ("wide region of a larger image", 300, 200, (40, 30, 290, 161),
         [(150, 90, True), (60, 150, False), (210, 95, True)], mask_b),
        ("no mask, no click", 300, 200, (10, 20, 130, 200), [], None),
        ("6000x4000 photo, box around a lesion", 6000, 4000, (2210, 1388, 3617, 2507),
         [(2900, 1900, True), (2230, 1400, False), (3616, 2506, True)], None),
    ]
    out = []
    for name, w, h, region, clicks, mask in cases:
        region = clamp_region(*region, w, h)
        g = grid_clicks(clicks, region)
        maps = click_maps(g)
        prev = sample_prev(mask, region)
        out.append({
            "name": name,
            "image": {"width": w, "height": h},
            "region": list(region),
            "clicks": [{"x": x, "y": y, "positive": p} for x, y, p in clicks],
            "grid_clicks": [{"u": u, "v": v, "positive": p} for u, v, p in g],
            "mask_rle": run_lengths(mask) if mask is not None else None,
            "clicks_rle": {"positive": run_lengths(maps[0]), "negative": run_lengths(maps[1])},
            "clicks_count": {"positive": int(maps[0].sum()), "negative": int(maps[1].sum())},
            "prev_rle": run_lengths(prev),
            "prev_count": int(prev.sum()),
        })
    return out


def paste_cases():
    """A probability grid pasted back into a region of a small image's mask."""
    base = ellipse(40, 30, 10, 10, 6, 5)
    cases = [
        ("stripes into an inner region, mask kept outside", 40, 30, (5, 3, 37, 27), "stripes", base),
        ("disc into the whole image, no previous mask", 40, 30, (0, 0, 40, 30), "disc", None),
        ("disc enlarged into a region wider than the grid", 300, 20, (3, 2, 297, 19), "disc", None),
        ("stripes shrunk into a region larger than the grid", 400, 300, (10, 7, 390, 290), "stripes", None),
    ]
    out = []
    for name, w, h, region, formula, mask in cases:
        pasted = paste_back(prob_grid(formula), region, mask, w, h)
        out.append({"name": name, "image": {"width": w, "height": h}, "region": list(region), "prob": formula,
                    "mask_rle": run_lengths(mask) if mask is not None else None, "threshold": 0.5,
                    "result_rle": run_lengths(pasted), "result_count": int(pasted.sum())})
    return out


def region_cases():
    """The click region without a box (REGION_RULE), and boxes that are refused."""
    mask = ellipse(300, 200, 150, 90, 70, 40) | ellipse(300, 200, 30, 170, 12, 9)
    big = ellipse(3000, 2000, 1500, 1000, 300, 200)
    cases = [
        ("click inside the large component", 300, 200, mask, [(150, 90, True)]),
        ("click near the small component only", 300, 200, mask, [(25, 120, True)]),
        ("two clicks, both components in reach", 300, 200, mask, [(150, 90, True), (30, 190, False)]),
        ("no mask: the clicks alone, grown to 64 pixels", 300, 200, None, [(100, 100, True)]),
        ("no mask near the clicks, clamped at a corner", 300, 200, mask, [(295, 3, False)]),
        ("large image: reach is 5 % of its larger side", 3000, 2000, big, [(1500, 690, True)]),
        ("large image: a click beyond reach ignores the mask", 3000, 2000, big, [(1500, 500, True)]),
    ]
    out = []
    for name, w, h, m, clicks in cases:
        region = click_region(m, clicks, w, h)
        out.append({"name": name, "image": {"width": w, "height": h}, "mask_rle": run_lengths(m) if m is not None else None,
                    "clicks": [{"x": x, "y": y, "positive": p} for x, y, p in clicks], "region": list(region)})
    refused = []
    for box, w, h in [((10, 10, 10, 50), 100, 100), ((50, 10, 20, 60), 100, 100), ((95, 95, 140, 140), 100, 100),
                      ((-20, -20, 5, 60), 100, 100)]:
        try:
            clamp_region(*box, w, h)
        except ValueError as exc:
            refused.append({"box": list(box), "image": {"width": w, "height": h}, "error": str(exc)})
        else:
            raise AssertionError(f"{box} was accepted")
    clamped = [{"box": [-5, 3, 120, 90], "image": {"width": 100, "height": 80}, "region": list(clamp_region(-5, 3, 120, 90, 100, 80))}]
    return out, refused, clamped


def build() -> dict:
    regions, refused, clamped = region_cases()
    return {
        "about": "Interactive model encoding cases (ISSUE16-SPEC.md); written by models/tests/make_interactive_cases.py "
                 "from models/scsonet/interactive.py. Arrays are run lengths over the flat row-major array, starting "
                 "with zeros. prob formulas: i is the grid row, j the grid column.",
        "grid": GRID,
        "click_radius": CLICK_RADIUS,
        "region_rule": REGION_RULE,
        "prob_formulas": PROB_FORMULAS,
        "encoding": encoding_cases(),
        "paste": paste_cases(),
        "click_regions": regions,
        "clamped_boxes": clamped,
        "refused_boxes": refused,
    }


def dumps(fixture: dict) -> str:
    """JSON with one line per case (run-length arrays are long; a case per line keeps diffs readable)."""
    lines = ["{"]
    items = list(fixture.items())
    for n, (key, value) in enumerate(items):
        end = "," if n < len(items) - 1 else ""
        if isinstance(value, list):
            lines.append(f"  {json.dumps(key)}: [")
            lines.extend(f"    {json.dumps(v, separators=(',', ':'))}{',' if k < len(value) - 1 else ''}"
                         for k, v in enumerate(value))
            lines.append(f"  ]{end}")
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value)}{end}")
    return "\n".join(lines + ["}"]) + "\n"


if __name__ == "__main__":
    OUT.write_text(dumps(build()))
    print(f"wrote {OUT}")
