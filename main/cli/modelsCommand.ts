/** `lesiondesk models`: the models the app can use, with their cards. */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { chooseProviders, currentHostFacts } from '../services/executionProvider.js';
import { scanModelDirs } from '../services/modelRegistry.js';
import { defaultModelDirs } from './paths.js';
import { modelsHelp } from './help.js';
import type { CliIo } from './usage.js';


/** Runs the models command; returns the exit code. */
export async function runModels(argv: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
  });
  if (values.help) {
    io.out(modelsHelp);
    return 0;
  }
  const dirs = defaultModelDirs();
  const catalog = await scanModelDirs(dirs);
  const providers = chooseProviders(currentHostFacts());
  if (values.json) {
    io.out(
      JSON.stringify(
        {
          searched: dirs,
          providers,
          models: catalog.models.map((m) => ({ path: m.onnxPath, card: m.card })),
          problems: catalog.problems,
        },
        null,
        2,
      ),
    );
  } else {
    io.out(`Model folders: ${dirs.join(', ')}`);
    io.out(`Execution providers to try: ${providers.map((p) => `${p.name} (${p.reason})`).join(', ')}`);
    if (catalog.models.length === 0) io.out('No models found.');
    for (const m of catalog.models) {
      const c = m.card;
      const v = c.metrics?.validation;
      const metrics = v && typeof v.dsc === 'number' ? `validation DSC ${v.dsc.toFixed(4)}, mIoU ${(v.miou ?? NaN).toFixed(4)} (n=${v.n ?? '?'})` : 'no validation metrics';
      io.out('');
      io.out(`${c.name}@${c.version}  ${c.architecture}, ${c.params ?? '?'} parameters, input ${c.input.shape.join('x')}`);
      io.out(`  file:      ${m.onnxPath}`);
      io.out(`  metrics:   ${metrics}`);
      const data = c.training && typeof c.training.data === 'string' ? c.training.data : 'unknown';
      io.out(`  training:  ${data}${c.training && c.training.epochs !== undefined ? `, ${String(c.training.epochs)} epochs` : ''}`);
      io.out(`  threshold: ${c.threshold}; created ${c.created ?? 'unknown'}`);
    }
    for (const p of catalog.problems) io.out(`\nUnusable: ${path.basename(p.cardPath)}: ${p.message}`);
  }
  return 0;
}
