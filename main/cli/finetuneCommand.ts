/**
 * `lesiondesk finetune --images DIR --masks DIR`: the same job runner and store the app uses,
 * from the command line. Progress goes to stderr; `--json` prints a summary on stdout.
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { TrainingJob } from '../../preload/api.js';
import { createEventHub } from '../services/events.js';
import { ModelStore } from '../services/modelStore.js';
import { TrainingJobs } from '../services/trainingJobs.js';
import { finetuneHelp } from './help.js';
import { dataDir, defaultModelDirs, trainerDir } from './paths.js';
import { UsageError, type CliIo } from './usage.js';

/** The `--json` summary. */
export interface FinetuneSummary {
  job: string;
  state: TrainingJob['state'];
  version: string | null;
  activated: boolean;
  reason: string;
  base: string;
  baseDice: number | null;
  candidateDice: number | null;
  baseAnchorDice: number | null;
  candidateAnchorDice: number | null;
  cases: { train: number; validation: number };
}

async function isDir(p: string): Promise<boolean> {
  return (await stat(p).catch(() => null))?.isDirectory() ?? false;
}

/** Runs the finetune command; returns the exit code (0 done, 1 failed or cancelled). */
export async function runFinetune(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: {
      images: { type: 'string' },
      masks: { type: 'string' },
      base: { type: 'string' },
      epochs: { type: 'string' },
      activate: { type: 'string', default: 'auto' },
      replay: { type: 'string', multiple: true },
      anchor: { type: 'string' },
      margin: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    io.out(finetuneHelp);
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`finetune takes no positional arguments (got ${positionals.join(' ')})`, finetuneHelp);
  if (!values.images || !values.masks) throw new UsageError('finetune needs --images DIR and --masks DIR', finetuneHelp);
  if (!(await isDir(values.images))) throw new UsageError(`--images ${values.images} is not a folder`, finetuneHelp);
  if (!(await isDir(values.masks))) throw new UsageError(`--masks ${values.masks} is not a folder`, finetuneHelp);
  const epochs = values.epochs === undefined ? undefined : Number(values.epochs);
  if (epochs !== undefined && !(Number.isInteger(epochs) && epochs >= 1 && epochs <= 200)) {
    throw new UsageError(`--epochs must be a whole number from 1 to 200, got "${values.epochs}"`, finetuneHelp);
  }
  if (values.activate !== 'auto' && values.activate !== 'never') {
    throw new UsageError(`--activate must be auto or never, got "${values.activate}"`, finetuneHelp);
  }
  const activate = values.activate;
  const margin = values.margin === undefined ? 0 : Number(values.margin);
  if (!(margin >= 0 && margin < 1)) throw new UsageError(`--margin must be a Dice difference from 0 to 1, got "${values.margin}"`, finetuneHelp);
  for (const dir of [...(values.replay ?? []), ...(values.anchor ? [values.anchor] : [])]) {
    if (!(await isDir(dir))) throw new UsageError(`${dir} is not a folder`, finetuneHelp);
  }

  const events = createEventHub();
  const store = new ModelStore({ dataDir: dataDir(), shippedDirs: defaultModelDirs() });
  // Extra trainer arguments for tests and experiments (e.g. "--size 64 --threads 2").
  const trainerArgs = (process.env.LESIONDESK_TRAINER_ARGS ?? '').split(/\s+/).filter(Boolean);
  const defaultReplay = path.join(trainerDir(), 'replay', 'train');
  const jobs = await TrainingJobs.open({
    dataDir: dataDir(),
    store,
    events,
    trainerDir: trainerDir(),
    trainerArgs,
    replaySources: [defaultReplay, ...(values.replay ?? []).map((d) => path.resolve(d))],
    ...(values.anchor ? { anchorSet: path.resolve(values.anchor) } : {}),
    gate: { margin },
  });

  // Progress events are coalesced (a few a second), so two epochs can arrive in one: every epoch
  // in the job's history is printed once, then the phase line when it changed.
  let lastLine = '';
  let epochsPrinted = 0;
  events.subscribe((event) => {
    if (event.type !== 'job-progress') return;
    const j = event.job;
    const eta = j.etaSeconds !== null ? `, about ${Math.round(j.etaSeconds)} s left` : '';
    const percent = `${Math.round(j.progress * 100)}%${eta}`;
    for (const e of j.history.slice(epochsPrinted)) {
      lastLine = `lesiondesk: training epoch ${e.epoch}/${j.epochs}: loss ${e.loss.toFixed(4)}, validation Dice ${e.valDsc.toFixed(3)} (${percent})`;
      io.err(lastLine);
    }
    epochsPrinted = j.history.length;
    const line = j.phase === 'training' && j.history.length > 0 ? lastLine : `lesiondesk: ${j.phase} (${percent})`;
    if (line !== lastLine && j.phase !== 'receiving') io.err(line);
    lastLine = line;
  });

  const job = await jobs.create({ base: values.base, epochs, activate, expectedPairs: 1 });
  io.err(`lesiondesk: job ${job.id} from ${job.base}; preparing the cases...`);
  // Ctrl+C cancels the job cleanly (the trainer stops and the store is left as it was).
  const onSignal = () => {
    io.err('lesiondesk: cancelling...');
    void jobs.cancel(job.id);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let ended: TrainingJob;
  try {
    let added;
    try {
      added = await jobs.addFolder(job.id, values.images, values.masks);
    } catch (error) {
      await jobs.cancel(job.id);
      throw error;
    }
    for (const s of added.skipped) io.err(`lesiondesk: skipped ${s}`);
    io.err(`lesiondesk: ${added.received} cases (${added.train} training, ${added.validation} validation)`);
    try {
      await jobs.start(job.id);
    } catch (error) {
      await jobs.cancel(job.id);
      throw error;
    }
    ended = await jobs.waitForEnd(job.id);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  const r = ended.result;
  const summary: FinetuneSummary = {
    job: ended.id,
    state: ended.state,
    version: r?.version ?? null,
    activated: r?.gate.activated ?? false,
    reason: r?.gate.reason ?? ended.error?.message ?? ended.state,
    base: ended.base,
    baseDice: r?.validation.base ?? null,
    candidateDice: r?.validation.candidate ?? null,
    baseAnchorDice: r?.anchor?.base ?? null,
    candidateAnchorDice: r?.anchor?.candidate ?? null,
    cases: ended.cases,
  };
  if (ended.state === 'succeeded' && r) {
    io.err(`lesiondesk: ${r.version}: ${r.gate.reason}`);
  } else {
    io.err(`lesiondesk: job ${ended.state}: ${ended.error?.message ?? ''}`);
    if (ended.error?.logTail) io.err(`--- end of the job's log ---\n${ended.error.logTail}`);
  }
  if (values.json) io.out(JSON.stringify(summary, null, 2));
  return ended.state === 'succeeded' ? 0 : 1;
}
