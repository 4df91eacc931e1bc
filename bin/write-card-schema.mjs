#!/usr/bin/env node
// `npm run schema`: writes the JSON Schemas the Python trainer shares with the app, each from
// its one zod definition: models/model-card.schema.json (main/services/modelCard.ts; the
// exporter validates every card it writes) and models/trainer-progress.schema.json
// (main/services/trainerProgress.ts; the trainer validates every progress line it prints).
// The tests beside each zod schema fail when a committed file is stale.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureBuilt, root } from './build-node.mjs';

ensureBuilt({ quiet: true });
const services = path.join(root, 'out/node/main/services');
const { modelCardJsonSchemaText } = await import(pathToFileURL(path.join(services, 'modelCard.js')).href);
const { trainerProgressJsonSchemaText } = await import(pathToFileURL(path.join(services, 'trainerProgress.js')).href);
for (const [name, text] of [
  ['model-card.schema.json', modelCardJsonSchemaText()],
  ['trainer-progress.schema.json', trainerProgressJsonSchemaText()],
]) {
  const target = path.join(root, 'models', name);
  writeFileSync(target, text);
  process.stdout.write(`wrote ${path.relative(root, target)}\n`);
}
