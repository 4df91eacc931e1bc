import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BoundedLineSplitter, parseProgressLine, trainerProgressJsonSchemaText, type SplitLine } from './trainerProgress.js';

const root = path.resolve(import.meta.dirname, '../..');

describe('the progress line schema is defined once', () => {
  it('models/trainer-progress.schema.json is what `npm run schema` writes from the zod schema', () => {
    // When this fails, run `npm run schema` and commit the file: the trainer validates against it.
    expect(readFileSync(path.join(root, 'models/trainer-progress.schema.json'), 'utf8')).toBe(trainerProgressJsonSchemaText());
  });

  it("the trainer's lines pass here, and what this side refuses the trainer refuses to print", () => {
    // Each line as finetune and train print it (scsonet/progress.py), and lines no trainer may print.
    const script = [
      'import json',
      'from scsonet.progress import ProgressLineError, progress_line',
      'good = [',
      '  ("start", dict(epochs=10, n_train=36, n_val=5, n_replay=18, n_anchor=16)),',
      '  ("start", dict(epochs=3, n_train=12, n_val=0, device="cpu", layout="isic")),',
      '  ("phase", dict(phase="baseline")),',
      '  ("epoch", dict(epoch=2, epochs=10, loss=0.31234, val_dsc=0.81, seconds=12.5, eta_s=40)),',
      '  ("epoch", dict(epoch=1, epochs=3, loss=float("nan"), val_dsc=float("nan"), val_mean_dsc=float("nan"), lr=1e-3, epoch_s=2.1, eta_s=4)),',
      '  ("done", dict(version="1.1.0", base_val_dsc=0.7, candidate_val_dsc=0.8, base_anchor_dsc=None, candidate_anchor_dsc=None)),',
      '  ("done", dict(best_val_dsc=None, seconds=30)),',
      '  ("cancelled", {}),',
      '  ("error", dict(message="x" * 10000)),',
      ']',
      'bad = [("epoch", dict(epoch=1, epochs=0, loss=0.1, val_dsc=0.5, eta_s=1)), ("epoch", dict(epoch=1.5, epochs=5, loss=0.1, val_dsc=0.5, eta_s=1)),',
      '       ("epoch", dict(epoch=1, epochs=5, loss=0.1, val_dsc=0.5, eta_s=-3)), ("epoch", dict(epoch=6, epochs=5, loss=0.1, val_dsc=0.5, eta_s=1)),',
      '       ("phase", dict(phase="napping")), ("start", dict(epochs=3, n_train=1, n_val=1, extra=1))]',
      'refused = []',
      'for event, fields in bad:',
      '    try:',
      '        progress_line(event, **fields)',
      '    except ProgressLineError:',
      '        refused.append(event)',
      'print(json.dumps({"lines": [progress_line(e, **f) for e, f in good], "refused": len(refused)}))',
    ].join('\n');
    const run = spawnSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8', env: { ...process.env, PYTHONPATH: path.join(root, 'models') } });
    expect(run.status, run.stderr).toBe(0);
    const { lines, refused } = JSON.parse(run.stdout) as { lines: string[]; refused: number };
    for (const line of lines) expect(parseProgressLine(line), line.slice(0, 200)).toMatchObject({ ok: true });
    expect(refused).toBe(6);
    for (const bad of ['{"event":"epoch","epoch":1,"epochs":0,"loss":0.1,"val_dsc":0.5,"eta_s":1}', '{"event":"epoch","epoch":1,"epochs":5,"loss":0.1,"val_dsc":0.5,"eta_s":-3}', 'NaN', 'plain text']) {
      expect(parseProgressLine(bad).ok).toBe(false);
    }
  });
});

describe('BoundedLineSplitter', () => {
  it('splits across chunks, drops an over-long line with its size, and hands on a last line without a newline', () => {
    const seen: SplitLine[] = [];
    const splitter = new BoundedLineSplitter((l) => seen.push(l), 8);
    for (const chunk of ['ab', 'c\r\nde', 'f\n0123', '456789', 'abc\nok\nlast']) splitter.push(Buffer.from(chunk));
    splitter.end();
    expect(seen).toEqual([{ text: 'abc' }, { text: 'def' }, { droppedBytes: 13 }, { text: 'ok' }, { text: 'last' }]);
  });
});
