/**
 * `lesiondesk models [list|activate|rollback|delete]`: the model versions the app and the CLI
 * share (the store in the user-data folder, plus the shipped model), with lineage, metrics and
 * the active marker; activate, roll back and delete change what `segment` and the app run.
 */
import { parseArgs } from 'node:util';
import type { ModelVersion, ModelVersionList } from '../../preload/api.js';
import { chooseProviders, currentHostFacts } from '../services/executionProvider.js';
import { ModelStore } from '../services/modelStore.js';
import { scanModelDirs, verifyChecksum } from '../services/modelRegistry.js';
import { modelsHelp } from './help.js';
import { dataDir, defaultModelDirs } from './paths.js';
import { UsageError, type CliIo } from './usage.js';

const dice = (x: number): string => x.toFixed(3);

/** Text from a version folder as a terminal may show it: control characters (escape sequences) become "?". */
function printable(line: string): string {
  // eslint-disable-next-line no-control-regex
  return line.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?');
}

/** One version as the text listing shows it (every line printable). */
export function describeVersion(v: ModelVersion): string[] {
  return versionLines(v).map(printable);
}

function versionLines(v: ModelVersion): string[] {
  const marker = v.active ? '*' : ' ';
  const lines = [`${marker} ${v.id}  ${v.kind}${v.status === 'damaged' ? '  DAMAGED' : ''}${v.active ? '  (active)' : ''}`];
  if (v.problem) lines.push(`    problem:     ${v.problem}`);
  if (v.lineage.length > 1) lines.push(`    lineage:     ${v.lineage.join(' -> ')}`);
  if (v.created) lines.push(`    created:     ${v.created}`);
  if (v.corrections !== null) lines.push(`    corrections: ${v.corrections}`);
  const parts = v.gate?.parts;
  const verdict = (part: 'changed' | 'unchanged' | 'anchor'): string => (parts && parts[part] !== 'none' ? `  ${parts[part]}` : '');
  if (v.validation) lines.push(`    validation:  Dice ${dice(v.validation.candidate)} (base ${dice(v.validation.base)}) on ${v.validation.n} cases`);
  // The gate's parts, each with how it went: the sentence below names them, these lines line them up.
  if (v.changed && v.changed.n > 0) lines.push(`      changed:   Dice ${dice(v.changed.candidate)} (base ${dice(v.changed.base)}) on ${v.changed.n} cases a person corrected${verdict('changed')}`);
  if (v.unchanged && v.unchanged.n > 0) lines.push(`      unchanged: Dice ${dice(v.unchanged.candidate)} (base ${dice(v.unchanged.base)}) on ${v.unchanged.n} cases approved as predicted${verdict('unchanged')}`);
  if (v.anchor) lines.push(`    anchor:      Dice ${dice(v.anchor.candidate)} (base ${dice(v.anchor.base)}) on ${v.anchor.n} original images${verdict('anchor')}`);
  if (v.gate) lines.push(`    gate:        ${v.gate.reason}`);
  if (v.kind === 'shipped') {
    const m = (v.card['metrics'] as { validation?: { dsc?: number; n?: number } } | undefined)?.validation;
    if (m?.dsc !== undefined) lines.push(`    validation:  Dice ${dice(m.dsc)} on ${m.n ?? '?'} held-out images (model card)`);
  }
  return lines;
}

/** The shipped interactive model(s), apart from the automatic versions: it is never activated nor fine-tuned. */
export interface InteractiveListing {
  id: string;
  path: string;
  status: 'ok' | 'damaged';
  problem: string | null;
  params: number | null;
  macs_g: number | null;
}

async function interactiveModels(): Promise<InteractiveListing[]> {
  const catalog = await scanModelDirs(defaultModelDirs());
  const out: InteractiveListing[] = [];
  for (const m of catalog.interactive ?? []) {
    const problem = await verifyChecksum(m).then(() => null, (error: Error) => error.message);
    out.push({ id: `${m.card.name}@${m.card.version}`, path: m.onnxPath, status: problem ? 'damaged' : 'ok', problem, params: m.card.params ?? null, macs_g: m.card.macs_g ?? null });
  }
  for (const p of catalog.interactiveProblems ?? []) out.push({ id: p.cardPath, path: p.cardPath, status: 'damaged', problem: p.message, params: null, macs_g: null });
  return out;
}

function printInteractive(models: readonly InteractiveListing[], io: CliIo): void {
  io.out(`\nInteractive model (Box and Click tools, refine, segment --boxes; shipped, never fine-tuned):`);
  if (models.length === 0) io.out('  none installed: the Box and Click tools are unavailable; automatic segmentation works as before');
  for (const m of models) {
    io.out(printable(`  ${m.id}  interactive${m.status === 'damaged' ? '  DAMAGED' : ''}`));
    if (m.problem) io.out(printable(`    problem:     ${m.problem}`));
    if (m.params !== null) io.out(`    size:        ${m.params.toLocaleString('en-US')} parameters, ${m.macs_g ?? '?'} G multiply-adds per step`);
  }
}

function printList(list: ModelVersionList, io: CliIo, store: ModelStore): void {
  if (list.problem) io.err(`lesiondesk: warning: ${list.problem}`);
  io.out(`Model versions (store: ${store.modelsDir}; * = active):`);
  for (const v of list.versions) for (const line of describeVersion(v)) io.out(line);
  if (list.unknown.length > 0) {
    io.out(`\nNot model versions (LesionDesk does not use or delete them; remove them by hand if you do not need them):`);
    for (const u of list.unknown) io.out(`  ${u.path}\n    ${u.problem}`);
  }
  if (list.previous) io.out(`\nRoll back would return to ${list.previous}.`);
}

/** Runs the models command; returns the exit code. */
export async function runModels(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    strict: true,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help) {
    io.out(modelsHelp);
    return 0;
  }
  const store = new ModelStore({ dataDir: dataDir(), shippedDirs: defaultModelDirs() });
  const [action = 'list', target, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`models ${action}: unexpected ${extra.join(' ')}`, modelsHelp);
  const report = async (message: string | null): Promise<number> => {
    const list = await store.list();
    if (values.json) io.out(JSON.stringify({ ...list, ...(message ? { message } : {}) }, null, 2));
    else if (message) io.out(message);
    return 0;
  };
  switch (action) {
    case 'list': {
      if (target) throw new UsageError(`models list takes no argument`, modelsHelp);
      const list = await store.list();
      const interactive = await interactiveModels();
      if (values.json) {
        io.out(JSON.stringify({ store: store.modelsDir, providers: chooseProviders(currentHostFacts()), ...list, interactive }, null, 2));
      } else {
        printList(list, io, store);
        printInteractive(interactive, io);
      }
      return 0;
    }
    case 'activate': {
      if (!target) throw new UsageError('models activate needs NAME@VERSION', modelsHelp);
      const { active, previous } = await store.activate(target);
      return report(previous ? `Activated ${active} (was ${previous}).` : `${active} is already active.`);
    }
    case 'rollback': {
      if (target) throw new UsageError('models rollback takes no argument', modelsHelp);
      const { active, previous } = await store.rollback();
      return report(`Rolled back to ${active} (was ${previous}).`);
    }
    case 'delete': {
      if (!target) throw new UsageError('models delete needs NAME@VERSION', modelsHelp);
      await store.delete(target);
      return report(`Deleted ${target}.`);
    }
    default:
      throw new UsageError(`unknown models action "${action}" (list, activate, rollback, delete)`, modelsHelp);
  }
}
