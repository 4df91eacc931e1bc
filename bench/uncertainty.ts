/**
 * `npm run bench:uncertainty`: how well the stored uncertainty score ranks cases by how wrong
 * the model's mask is, on ISIC 2017 pairs the shipped model never trained on.
 *
 * The shipped model runs through the app's own Segmenter (same decode, preprocessing and
 * threshold as a prediction in the app, no test-time augmentation, as the app predicts). For
 * each held-out case: the Dice error (1 - Dice of the mask against the ground truth), the score
 * the app stores, and a few alternative scores, some of which need the two flip views of
 * test-time augmentation. Spearman's rho (ties handled) of each score against the Dice error
 * goes to bench/results/uncertainty.json with n and the per-case values.
 *
 * The held-out cases are the model card's validation split, recomputed by the trainer's own
 * split function (Python, `scsonet.split.split_ids`, with the card's seed and fraction), so no
 * case the model was trained on is scored. Options: --data DIR (default
 * ../shared/data/isic2017-train-256), --limit N (a seeded subset of the held-out cases, for a
 * smoke run), --name NAME (results file name, default "uncertainty"). Never run by the tests.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { packageRoot } from '../main/cli/paths.js';
import { createServices } from '../main/services/index.js';
import { runsToMask, uncertaintyScore } from '../main/services/maskGeometry.js';
import { spearman } from '../main/services/rankCorrelation.js';
import { seededRandom } from '../test/fixtures/images.js';

const root = packageRoot();
const { values } = parseArgs({
  options: {
    data: { type: 'string', default: path.resolve(root, '..', 'shared', 'data', 'isic2017-train-256') },
    limit: { type: 'string' },
    name: { type: 'string', default: 'uncertainty' },
  },
});
const dataDir = path.resolve(values.data!);
if (!existsSync(path.join(dataDir, 'images')) || !existsSync(path.join(dataDir, 'masks'))) {
  console.error(`bench:uncertainty: ${dataDir} has no images/ and masks/ folders; pass --data with an ISIC 2017 folder.`);
  process.exit(2);
}

const services = await createServices({ modelDirs: [path.join(root, 'models')] });
const segmenter = services.segmenter;
const card = segmenter.session.entry.card;
const split = (card.training as { split?: { seed?: number; val_fraction?: number } } | undefined)?.split;
if (split?.seed === undefined || split.val_fraction === undefined) {
  console.error(`bench:uncertainty: the card of ${card.name}@${card.version} records no split; cannot tell held-out cases.`);
  process.exit(2);
}

/** The validation ids of the card's split, from the trainer's own function (numpy's generator). */
function heldOutIds(seed: number, fraction: number): string[] {
  const script = [
    'import json, sys',
    'from scsonet.data import index_dataset',
    'from scsonet.split import split_ids',
    'ix = index_dataset(sys.argv[1])',
    '_, val = split_ids([p.id for p in ix.pairs], float(sys.argv[2]), int(sys.argv[3]))',
    'print(json.dumps(val))',
  ].join('\n');
  const python = process.env.LESIONDESK_PYTHON ?? '/usr/bin/python3';
  const run = spawnSync(python, ['-c', script, dataDir, String(fraction), String(seed)], {
    encoding: 'utf8',
    env: { ...process.env, PYTHONPATH: path.join(root, 'models') },
  });
  if (run.status !== 0) {
    console.error(`bench:uncertainty: could not recompute the held-out split with ${python}:\n${run.stderr}`);
    process.exit(2);
  }
  return JSON.parse(run.stdout) as string[];
}

/** Seeded subset (partial Fisher-Yates), for --limit smoke runs. */
function seededSubset<T>(items: readonly T[], n: number, seed: number): T[] {
  const next = seededRandom(seed);
  const copy = [...items];
  for (let i = 0; i < Math.min(n, copy.length); i++) {
    const j = i + Math.floor(next() * (copy.length - i));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy.slice(0, n);
}

// ---- alternative scores, all on model-resolution probability maps ---------------------------
const threshold = card.threshold;

function binaryEntropy(p: number): number {
  if (p <= 0 || p >= 1) return 0;
  return -(p * Math.log2(p) + (1 - p) * Math.log2(1 - p));
}

/** Mean binary entropy (bits) over the whole map. */
function meanEntropy(prob: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < prob.length; i++) sum += binaryEntropy(prob[i]);
  return sum / prob.length;
}

/** Summed entropy divided by the predicted lesion area: uncertainty per lesion pixel. */
function entropyPerLesionPixel(prob: Float32Array): number {
  let sum = 0;
  let area = 0;
  for (let i = 0; i < prob.length; i++) {
    sum += binaryEntropy(prob[i]);
    if (prob[i] >= threshold) area++;
  }
  return sum / Math.max(1, area);
}

/** Ambiguous pixels (0.25..0.75) over the whole image rather than over the candidate region. */
function bandFractionOfImage(prob: Float32Array): number {
  let n = 0;
  for (let i = 0; i < prob.length; i++) if (prob[i] >= 0.25 && prob[i] <= 0.75) n++;
  return n / prob.length;
}

/**
 * 1 - soft Dice of the thresholded mask against the probabilities: the Dice error the model
 * itself expects if its probabilities were calibrated.
 */
function softDiceError(prob: Float32Array): number {
  let overlap = 0;
  let sumP = 0;
  let area = 0;
  for (let i = 0; i < prob.length; i++) {
    const p = prob[i];
    sumP += p;
    if (p >= threshold) {
      area++;
      overlap += p;
    }
  }
  return sumP + area === 0 ? 0 : 1 - (2 * overlap) / (sumP + area);
}

function diceOfMasks(a: (i: number) => boolean, b: (i: number) => boolean, n: number): number {
  let inter = 0;
  let sa = 0;
  let sb = 0;
  for (let i = 0; i < n; i++) {
    const x = a(i);
    const y = b(i);
    if (x) sa++;
    if (y) sb++;
    if (x && y) inter++;
  }
  return sa + sb === 0 ? 1 : (2 * inter) / (sa + sb);
}

/** 1 - mean pairwise Dice of the thresholded flip views (original, h-flip, v-flip). */
function flipDisagreement(views: readonly Float32Array[]): number {
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < views.length; i++) {
    for (let j = i + 1; j < views.length; j++) {
      const vi = views[i];
      const vj = views[j];
      sum += diceOfMasks((k) => vi[k] >= threshold, (k) => vj[k] >= threshold, vi.length);
      pairs++;
    }
  }
  return 1 - sum / pairs;
}

interface CaseRow {
  id: string;
  diceError: number;
  scores: Record<string, number>;
}

const scoreNames = {
  stored_band_fraction_of_candidate: 'the app\'s score before this benchmark: pixels with 0.25 <= p <= 0.75 over pixels with p >= 0.25',
  band_fraction_of_image: 'pixels with 0.25 <= p <= 0.75 over all pixels',
  mean_binary_entropy: 'mean binary entropy (bits) over all pixels',
  entropy_per_lesion_pixel: 'summed binary entropy over the number of predicted lesion pixels',
  soft_dice_error: '1 - soft Dice of the mask against its own probabilities: 1 - 2 sum(p over mask) / (sum p + mask area)',
  flip_disagreement: '1 - mean pairwise Dice of the masks of the original, h-flipped and v-flipped views (3x inference)',
  tta_soft_dice_error: 'soft_dice_error on the mean of the three flip views (3x inference)',
} as const;
type ScoreName = keyof typeof scoreNames;

const allIds = heldOutIds(split.seed, split.val_fraction);
const limit = values.limit ? Number(values.limit) : allIds.length;
const ids = limit < allIds.length ? seededSubset(allIds, limit, 20171).sort() : allIds;
console.error(`bench:uncertainty: ${ids.length} held-out cases of ${allIds.length} (split seed ${split.seed}, fraction ${split.val_fraction}), model ${card.name}@${card.version}`);

const rows: CaseRow[] = [];
const started = performance.now();
for (const [n, id] of ids.entries()) {
  const imagePath = path.join(dataDir, 'images', `${id}.jpg`);
  const maskPath = path.join(dataDir, 'masks', `${id}.png`);
  // The shipped path, as the app predicts a case: mask and stored score from one call.
  const seg = await segmenter.segment({ path: imagePath }, { encodePng: false });
  const truth = await sharp(await readFile(maskPath)).greyscale().raw().toBuffer({ resolveWithObject: true });
  if (truth.info.width !== seg.width || truth.info.height !== seg.height) {
    throw new Error(`${id}: mask ${truth.info.width}x${truth.info.height} does not match the image ${seg.width}x${seg.height}`);
  }
  const predicted = runsToMask(seg.mask);
  const dice = diceOfMasks((i) => predicted[i] > 0, (i) => truth.data[i] > 127, predicted.length);
  const views = await segmenter.predictViews(await segmenter.decode({ path: imagePath }));
  const mean = new Float32Array(views[0].length);
  for (let i = 0; i < mean.length; i++) mean[i] = (views[0][i] + views[1][i] + views[2][i]) / 3;
  const scores: Record<ScoreName, number> = {
    stored_band_fraction_of_candidate: uncertaintyScore(seg.prob),
    band_fraction_of_image: bandFractionOfImage(seg.prob),
    mean_binary_entropy: meanEntropy(seg.prob),
    entropy_per_lesion_pixel: entropyPerLesionPixel(seg.prob),
    soft_dice_error: softDiceError(seg.prob),
    flip_disagreement: flipDisagreement(views),
    tta_soft_dice_error: softDiceError(mean),
  };
  rows.push({ id, diceError: 1 - dice, scores: { app_stored: seg.uncertainty, ...scores } });
  if ((n + 1) % 50 === 0) console.error(`  ${n + 1}/${ids.length}`);
}
const seconds = (performance.now() - started) / 1000;
await services.close();

const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;
const errors = rows.map((r) => r.diceError);
const worst = Math.max(1, Math.round(rows.length / 10));
const worstIds = new Set([...rows].sort((a, b) => b.diceError - a.diceError).slice(0, worst).map((r) => r.id));
const names = ['app_stored', ...Object.keys(scoreNames)] as (ScoreName | 'app_stored')[];

// Paired bootstrap over cases (the same resamples for every score): a 95 % interval of each rho
// and of its difference to the stored score, so a "better" score is told apart from noise.
const bootstrapRuns = 2000;
const draw = seededRandom(7);
const bootRho = new Map(names.map((name) => [name, [] as number[]]));
for (let b = 0; b < bootstrapRuns; b++) {
  const pick = rows.map(() => rows[Math.floor(draw() * rows.length)]);
  const err = pick.map((r) => r.diceError);
  for (const name of names) bootRho.get(name)!.push(spearman(pick.map((r) => r.scores[name]), err));
}
const interval = (xs: number[]): [number, number] => {
  const s = [...xs].sort((a, b) => a - b);
  return [r4(s[Math.floor(0.025 * s.length)]), r4(s[Math.ceil(0.975 * s.length) - 1])];
};

const results: Record<string, { rho: number; rho_ci95: [number, number]; rho_minus_stored_ci95: [number, number]; worst_decile_recall: number; description: string }> = {};
for (const name of names) {
  const xs = rows.map((r) => r.scores[name]);
  const boot = bootRho.get(name)!;
  const stored = bootRho.get('app_stored')!;
  // Of the tenth of cases with the largest Dice error, how many the score puts in its top tenth.
  const top = new Set([...rows].sort((a, b) => b.scores[name] - a.scores[name]).slice(0, worst).map((r) => r.id));
  const hits = [...worstIds].filter((id) => top.has(id)).length;
  results[name] = {
    rho: r4(spearman(xs, errors)),
    rho_ci95: interval(boot),
    rho_minus_stored_ci95: interval(boot.map((rho, i) => rho - stored[i])),
    worst_decile_recall: r4(hits / worst),
    description: name === 'app_stored' ? 'what the Segmenter stores with each prediction (Segmentation.uncertainty)' : scoreNames[name],
  };
}

const meanDice = 1 - errors.reduce((a, b) => a + b, 0) / errors.length;
const report = {
  what: 'Spearman rho (ties: mean ranks) between each uncertainty score and the Dice error (1 - Dice vs ground truth) of the shipped model\'s mask, per case',
  model: `${card.name}@${card.version}`,
  data: path.relative(root, dataDir),
  cases: `validation split of the model card (seed ${split.seed}, fraction ${split.val_fraction}), recomputed with scsonet.split.split_ids; none was trained on`,
  n: rows.length,
  tta_for_mask: false,
  threshold,
  mean_dice: r4(meanDice),
  median_dice_error: r4([...errors].sort((a, b) => a - b)[Math.floor(errors.length / 2)]),
  worst_decile_n: worst,
  bootstrap_resamples: bootstrapRuns,
  scores: results,
  seconds: Math.round(seconds * 10) / 10,
  measured: new Date().toISOString(),
  per_case: rows.map((r) => ({ id: r.id, dice_error: r4(r.diceError), ...Object.fromEntries(Object.entries(r.scores).map(([k, v]) => [k, r4(v)])) })),
};
const outDir = path.join(root, 'bench', 'results');
await mkdir(outDir, { recursive: true });
const outFile = path.join(outDir, `${values.name}.json`);
await writeFile(outFile, `${JSON.stringify(report, null, 2)}\n`);

console.log(`n = ${rows.length}, mean Dice ${report.mean_dice}, ${report.seconds} s`);
console.log('score                              rho   95% CI           rho - stored, 95% CI   worst-10% recall');
for (const [name, r] of Object.entries(results)) {
  const ci = (c: [number, number]) => `[${c[0].toFixed(3)}, ${c[1].toFixed(3)}]`.padEnd(18);
  console.log(`${name.padEnd(34)} ${r.rho.toFixed(3).padStart(6)}   ${ci(r.rho_ci95)}   ${ci(r.rho_minus_stored_ci95)}     ${r.worst_decile_recall.toFixed(2)}`);
}
console.log(`-> ${path.relative(process.cwd(), outFile)}`);
