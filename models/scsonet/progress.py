"""Progress lines: one JSON object per line on stdout, what the app's job runner parses.

Every line is checked against ``models/trainer-progress.schema.json`` before it is printed. That
file is generated from the app's zod schema (main/services/trainerProgress.ts, ``npm run
schema``), so a field the app would refuse (an epoch 0, a negative ETA, a Dice above 1) fails
here, in the trainer's own tests, instead of being ignored by the app in the field.
"""

from __future__ import annotations

import functools
import json
import math
from pathlib import Path
from typing import Any, Dict

PROGRESS_SCHEMA_PATH = Path(__file__).resolve().parents[1] / "trainer-progress.schema.json"
# As maxErrorMessageChars in trainerProgress.ts: longer error messages are cut, not refused.
MAX_ERROR_CHARS = 4000


class ProgressLineError(ValueError):
    """A progress line the schema refuses: a bug in the trainer, named with every bad field."""


@functools.lru_cache(maxsize=1)
def progress_validator() -> Any:
    """The JSON Schema validator of trainer-progress.schema.json (loaded once)."""
    import jsonschema

    return jsonschema.Draft202012Validator(json.loads(PROGRESS_SCHEMA_PATH.read_text(encoding="utf-8")))


def _finite_or_none(value: Any) -> Any:
    # JSON has no NaN or infinity (json.dumps would print a bare NaN no JSON reader accepts).
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def progress_line(event: str, **fields: Any) -> str:
    """The checked JSON text of one progress line; ProgressLineError when the schema refuses it."""
    line: Dict[str, Any] = {"event": event, **{k: _finite_or_none(v) for k, v in fields.items()}}
    if event == "error" and isinstance(line.get("message"), str) and len(line["message"]) > MAX_ERROR_CHARS:
        line["message"] = line["message"][: MAX_ERROR_CHARS - 1] + "…"
    problems = sorted(progress_validator().iter_errors(line), key=lambda e: [str(p) for p in e.absolute_path])
    if problems:
        shown = "; ".join(f"{'.'.join(str(p) for p in e.absolute_path) or '(line)'}: {e.message}" for e in problems[:5])
        raise ProgressLineError(f"the progress line {event!r} does not match {PROGRESS_SCHEMA_PATH.name}: {shown}")
    if event == "epoch" and line["epoch"] > line["epochs"]:
        raise ProgressLineError(f"the progress line 'epoch' has epoch {line['epoch']} past epochs {line['epochs']}")
    return json.dumps(line, allow_nan=False, ensure_ascii=False)


def emit(event: str, **fields: Any) -> None:
    """Prints one checked progress line on stdout (see the module docstring)."""
    print(progress_line(event, **fields), flush=True)
