/**
 * `npm run serve [-- --port P] [--model M]`: browser mode. Starts the services and the HTTP
 * server on 127.0.0.1 and prints the URL (with its per-launch token).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { createAppHandlers } from '../app-handlers.ts';
import { startBrowserServer } from './server.ts';
import { errorMessage } from '../services/index.ts';
import { dataDir } from '../cli/paths.ts';

// Built to out/main/serve.js; the repository root is two levels up.
const root = path.resolve(import.meta.dirname, '../..');

function fail(message: string): never {
  process.stderr.write(`lesiondesk serve: ${message}\n`);
  process.exit(2);
}

async function main(): Promise<void> {
  let values: { port?: string; model?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: { port: { type: 'string' }, model: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    }));
  } catch (error) {
    fail(errorMessage(error));
  }
  if (values.help) {
    process.stdout.write('Usage: npm run serve [-- --port P] [--model PATH|NAME[@VERSION]]\n');
    return;
  }
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`--port must be 0..65535, not "${values.port}".`);

  // Extra fine-tuning trainer arguments for tests and experiments (e.g. "--size 64 --threads 2"),
  // as the CLI reads them; empty in normal use.
  const trainerArgs = (process.env['LESIONDESK_TRAINER_ARGS'] ?? '').split(/\s+/).filter(Boolean);
  const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
  const app = await createAppHandlers(
    {
      modelDirs: [path.join(root, 'models')],
      // The same user-data folder as the app and the CLI (LESIONDESK_DATA_DIR moves it).
      dataDir: dataDir(),
      ...(values.model ? { model: values.model } : {}),
      ...(trainerArgs.length > 0 ? { training: { trainerArgs } } : {}),
      log: (message: string) => process.stderr.write(`${message}\n`),
    },
    { version, transport: 'http' },
  );
  if (app.problem) process.stderr.write(`Warning: ${app.problem}\n`);
  const server = await startBrowserServer({
    handlers: app.handlers,
    events: app.events,
    rendererDir: path.join(root, 'out/renderer'),
    port,
    log: (message, error) => process.stderr.write(`${message}${error instanceof Error ? `: ${error.message}` : ''}\n`),
  });
  process.stdout.write(`LesionDesk browser mode: ${server.url}\n`);
  const stop = () => {
    void server.close().then(() => app.close()).finally(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => fail(errorMessage(error)));
