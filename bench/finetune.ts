/**
 * `npm run bench:finetune`: the fine-tuning job as the app runs it, on real images.
 *
 * 100 ISIC 2017 pairs the shipped model never trained on (its held-out split, minus the
 * committed anchor set) are handed to the real job runner in chunks, as the renderer does; the
 * job fine-tunes the shipped model for 10 epochs at 256 px with the default replay and anchor
 * sets. Measured: wall time from start to the gate's decision, the first progress line from
 * the trainer after start, the trainer's peak memory (sampled from /proc and its own
 * ru_maxrss), Dice of base and candidate, and the model switch (activate -> first prediction
 * by the new version) in running services. Writes bench/results/finetune.json.
 * Needs ../shared/data/isic2017-train-256 (or --data DIR) and Python with PyTorch.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { ApiEvent } from '../preload/api.js';
import { packageRoot } from '../main/cli/paths.js';
import { createEventHub } from '../main/services/events.js';
import { createServices } from '../main/services/index.js';
import { ModelStore } from '../main/services/modelStore.js';
import { findPython } from '../main/services/pythonRuntime.js';
import { TrainingJobs } from '../main/services/trainingJobs.js';

const root = packageRoot();
const { values } = parseArgs({
  options: {
    data: { type: 'string', default: path.resolve(root, '..', 'shared', 'data', 'isic2017-train-256') },
    pairs: { type: 'string', default: '100' },
    epochs: { type: 'string', default: '10' },
  },
});
const dataDir = values.data!;
const nPairs = Number(values.pairs);
const epochs = Number(values.epochs);
if (!existsSync(path.join(dataDir, 'images'))) {
  process.stderr.write(`bench:finetune needs the ISIC 2017 pairs in ${dataDir} (images/ + masks/); pass --data DIR\n`);
  process.exit(2);
}
const python = await findPython({});
if (!python.ok || !python.info) {
  process.stderr.write(`bench:finetune: ${python.problem?.message} ${python.problem?.fix}\n`);
  process.exit(2);
}
const trainerDir = path.join(root, 'models');

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}
const r1 = (x: number): number => Math.round(x * 10) / 10;

/** The shipped model's held-out ids (its card's split), minus the committed anchors. */
async function heldOutIds(): Promise<string[]> {
  const card = JSON.parse(await readFile(path.join(trainerDir, 'scsonet-isic2017-v1.json'), 'utf8')) as { training: { split: { seed: number; val_fraction: number } } };
  const { seed, val_fraction: fraction } = card.training.split;
  const script = [
    'import json, sys',
    'from pathlib import Path',
    'from scsonet.split import split_ids',
    `ids = sorted(p.stem for p in Path(${JSON.stringify(path.join(dataDir, 'images'))}).iterdir() if p.suffix == ".jpg")`,
    `print(json.dumps(split_ids(ids, ${fraction}, ${seed})[1]))`,
  ].join('\n');
  const out = await new Promise<string>((resolve, reject) =>
    execFile(python.info!.path, ['-c', script], { env: { ...process.env, PYTHONPATH: trainerDir } }, (e, stdout, stderr) => (e ? reject(new Error(stderr)) : resolve(stdout))),
  );
  const anchors = new Set((await readdir(path.join(trainerDir, 'replay', 'anchor', 'images'))).map((n) => n.replace(/\.[^.]+$/, '')));
  return (JSON.parse(out) as string[]).filter((id) => !anchors.has(id));
}

const ids = (await heldOutIds()).slice(0, nPairs);
const work = await mkdtemp(path.join(os.tmpdir(), 'lesiondesk-bench-finetune-'));
const events = createEventHub();
const store = new ModelStore({ dataDir: work, shippedDirs: [trainerDir] });
const jobs = await TrainingJobs.open({ dataDir: work, store, events, trainerDir, pythonSetting: python.info.path });

// ---- the job ---------------------------------------------------------------------------------
const job = await jobs.create({ epochs, expectedPairs: ids.length });
const tHand = performance.now();
for (let i = 0; i < ids.length; i += 8) {
  const chunk = await Promise.all(
    ids.slice(i, i + 8).map(async (id) => ({
      caseId: id,
      maskVersionId: `isic-ground-truth-${id}`,
      image: await readFile(path.join(dataDir, 'images', `${id}.jpg`)),
      imageName: `${id}.jpg`,
      maskPng: await readFile(path.join(dataDir, 'masks', `${id}.png`)),
    })),
  );
  await jobs.addPairs(job.id, chunk);
}
const handOffS = (performance.now() - tHand) / 1000;

let firstTrainerEventS: number | null = null;
let tStart = 0;
// Every estimate main gave of the time left, with when it gave it: checked against the real end.
const estimates: { atS: number; phase: string; epoch: number; etaS: number }[] = [];
events.subscribe((e: ApiEvent) => {
  if (e.type === 'job-progress' && firstTrainerEventS === null && e.job.phase === 'loading') firstTrainerEventS = (performance.now() - tStart) / 1000;
  if (e.type === 'job-progress' && e.job.etaSeconds !== null && e.job.id === job.id) {
    estimates.push({ atS: (performance.now() - tStart) / 1000, phase: e.job.phase, epoch: e.job.history.length, etaS: e.job.etaSeconds });
  }
  if (e.type === 'job-progress' && e.job.phase === 'training' && e.job.history.length > 0) {
    const last = e.job.history.at(-1)!;
    process.stderr.write(`epoch ${last.epoch}/${e.job.epochs}: loss ${last.loss.toFixed(4)}, validation Dice ${last.valDsc.toFixed(3)}\n`);
  }
});
tStart = performance.now();
await jobs.start(job.id);
// Peak resident memory of the trainer, sampled from outside (the trainer also reports its own).
const pid = (JSON.parse(await readFile(path.join(work, 'jobs', job.id, 'job.json'), 'utf8')) as { pid: number }).pid;
let peakRssKb = 0;
const sampler = setInterval(() => {
  readFile(`/proc/${pid}/status`, 'utf8')
    .then((s) => {
      const kb = Number(/VmRSS:\s+(\d+)/.exec(s)?.[1] ?? 0);
      peakRssKb = Math.max(peakRssKb, kb);
    })
    .catch(() => undefined);
}, 100);
const ended = await jobs.waitForEnd(job.id);
clearInterval(sampler);
const wallS = (performance.now() - tStart) / 1000;
if (ended.state !== 'succeeded' || !ended.result) {
  process.stderr.write(`the job ${ended.state}: ${ended.error?.message}\n${ended.error?.logTail ?? ''}\n`);
  process.exit(1);
}
const version = ended.result.version;
// The first estimate (from the baseline's pace, before any epoch ended) and the one after epoch 1,
// against the time that was really left until the job ended.
const etaCheck = (pick: (x: (typeof estimates)[number]) => boolean) => {
  const x = estimates.find(pick);
  return x ? { atSeconds: r1(x.atS), estimatedSeconds: x.etaS, actualSeconds: r1(wallS - x.atS), ratio: Math.round((x.etaS / (wallS - x.atS)) * 100) / 100 } : null;
};
const eta = { beforeFirstEpoch: etaCheck((x) => x.phase === 'training' && x.epoch === 0), afterFirstEpoch: etaCheck((x) => x.epoch === 1) };
// The recipe as the candidate's card records it (the default, models/scsonet/recipe.py).
const candidateCard = JSON.parse(await readFile(path.join(store.versionsDir, version, 'model.json'), 'utf8')) as { training: { recipe: string } };
const trainerMetrics = JSON.parse(await readFile(path.join(store.versionsDir, version, 'metrics.json'), 'utf8')) as { peak_rss_mb?: number; seconds?: number };

// ---- model switch: activate -> first prediction by the new version -----------------------------
const services = await createServices({ modelDirs: [trainerDir], dataDir: work });
const image = await readFile(path.join(dataDir, 'images', `${ids[0]}.jpg`));
const switches: number[] = [];
const targets = [version, 'scsonet-isic2017@1.0.0'];
if ((await store.list()).active !== version) await services.handlers.activateModelVersion({ id: version });
for (let i = 0; i < 6; i++) {
  const target = targets[(i + 1) % 2]!;
  const t0 = performance.now();
  await services.handlers.activateModelVersion({ id: target });
  const r = await services.handlers.segmentImage({ bytes: image, fileName: 'switch.jpg' });
  switches.push(performance.now() - t0);
  if (`${r.model.name}@${r.model.version}` !== target) throw new Error(`prediction came from ${r.model.name}@${r.model.version}, not ${target}`);
}
await services.close();

const result = {
  date: new Date().toISOString(),
  machine: `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()}`,
  python: python.info,
  job: { pairs: ids.length, train: ended.cases.train, validation: ended.cases.validation, epochs, size: 256, replay: 'models/replay/train', recipe: candidateCard.training.recipe, anchor: 'models/replay/anchor (50 pairs)' },
  handOffSeconds: r1(handOffS),
  wallSeconds: r1(wallS),
  trainerSeconds: trainerMetrics.seconds ?? null,
  firstProgressSeconds: firstTrainerEventS === null ? null : Math.round(firstTrainerEventS * 100) / 100,
  peakMemoryMb: { sampled: Math.round(peakRssKb / 1024), selfReported: trainerMetrics.peak_rss_mb ?? null },
  dice: { validation: ended.result.validation, anchor: ended.result.anchor },
  gate: ended.result.gate,
  eta,
  modelSwitchMs: { median: r1(median(switches)), runs: switches.map(r1) },
  targets: { wallSeconds: 90, peakMemoryMb: 800, firstProgressSeconds: 5 },
};
await writeFile(path.join(root, 'bench', 'results', 'finetune.json'), `${JSON.stringify(result, null, 2)}\n`);
await rm(work, { recursive: true, force: true });

const ok = (pass: boolean) => (pass ? 'met' : 'MISSED');
process.stdout.write(
  [
    `Fine-tuning ${ids.length} ISIC 2017 corrections (${ended.cases.train} train / ${ended.cases.validation} validation) + replay, ${epochs} epochs, 256 px`,
    `  hand-off (resize + write, in chunks of 8): ${result.handOffSeconds} s`,
    `  wall time, start -> gate decision:       ${result.wallSeconds} s (target 90: ${ok(result.wallSeconds <= 90)})`,
    `  first progress line from the trainer:     ${result.firstProgressSeconds} s (target 5: ${ok((result.firstProgressSeconds ?? 99) <= 5)})`,
    `  trainer peak memory, sampled / own:      ${result.peakMemoryMb.sampled} / ${result.peakMemoryMb.selfReported} MB (target 800: ${ok(Math.max(result.peakMemoryMb.sampled, result.peakMemoryMb.selfReported ?? 0) <= 800)})`,
    `  validation Dice base -> candidate:        ${ended.result.validation.base.toFixed(3)} -> ${ended.result.validation.candidate.toFixed(3)} (n=${ended.result.validation.n})`,
    `  anchor Dice base -> candidate:            ${ended.result.anchor?.base.toFixed(3)} -> ${ended.result.anchor?.candidate.toFixed(3)} (n=${ended.result.anchor?.n})`,
    `  gate: ${ended.result.gate.reason}`,
    `  ETA before the first epoch / after it: ${eta.beforeFirstEpoch?.estimatedSeconds} s for ${eta.beforeFirstEpoch?.actualSeconds} s / ${eta.afterFirstEpoch?.estimatedSeconds} s for ${eta.afterFirstEpoch?.actualSeconds} s`,
    `  model switch, activate -> first prediction: median ${result.modelSwitchMs.median} ms (${switches.length} switches)`,
    `Wrote bench/results/finetune.json`,
    '',
  ].join('\n'),
);
