/**
 * `lesiondesk` command line. Arguments are parsed with node:util parseArgs: built into Node,
 * strict about unknown options, and enough for these subcommands, so the CLI adds no
 * dependency; help texts are written by hand next to each command.
 */
import { LesionDeskError } from '../services/errors.js';
import { evaluateClicksHelp, evaluateHelp, finetuneHelp, modelsHelp, refineHelp, segmentHelp } from './help.js';
import { processIo, UsageError, type CliIo } from './usage.js';

export const mainHelp = `Usage: lesiondesk <command> [options]

Commands:
  segment <files|folders...> --out DIR   segment images, write masks and summary.csv
                                         (--boxes FILE.csv: listed images in their box)
  refine IMAGE --out MASK [--box] [--click]...  one interactive step (box, clicks, mask)
  evaluate --pred DIR --truth DIR        Dice and IoU of masks against ground truth (JSON)
  evaluate-clicks --images DIR --masks DIR  the click protocol: NoC@85/90, IoU after clicks
  models [activate|rollback|delete]      model versions: list, activate, roll back, delete
  finetune --images DIR --masks DIR      fine-tune the active model on corrected masks

Run \`lesiondesk <command> --help\` for a command's options.`;

type Runner = (argv: string[], io: CliIo) => Promise<number>;

// Commands are imported on use: onnxruntime and sharp take seconds to load on a busy machine,
// and `--help` or `evaluate` should not wait for the model runtime.
const commands: Record<string, { load: () => Promise<Runner>; help: string }> = {
  segment: { load: async () => (await import('./segmentCommand.js')).runSegment, help: segmentHelp },
  evaluate: { load: async () => (await import('./evaluateCommand.js')).runEvaluate, help: evaluateHelp },
  models: { load: async () => (await import('./modelsCommand.js')).runModels, help: modelsHelp },
  finetune: { load: async () => (await import('./finetuneCommand.js')).runFinetune, help: finetuneHelp },
  refine: { load: async () => (await import('./refineCommand.js')).runRefine, help: refineHelp },
  'evaluate-clicks': { load: async () => (await import('./refineCommand.js')).runEvaluateClicks, help: evaluateClicksHelp },
};

/** Runs the CLI; returns the exit code (0 ok, 1 some work failed, 2 wrong usage). */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(mainHelp);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) {
    io.err(`lesiondesk: unknown command "${name}"\n\n${mainHelp}`);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(command.help);
    return 0;
  }
  try {
    return await (await command.load())(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`lesiondesk: ${error.message}\n\n${error.help}`);
      return 2;
    }
    const code = (error as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) {
      io.err(`lesiondesk: ${(error as Error).message}\n\n${command.help}`);
      return 2;
    }
    if (error instanceof LesionDeskError) {
      io.err(`lesiondesk: ${error.message}`);
      return 1;
    }
    io.err(`lesiondesk: unexpected error: ${(error as Error).stack ?? String(error)}`);
    return 1;
  }
}
