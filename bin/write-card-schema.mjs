#!/usr/bin/env node
// `npm run schema`: writes models/model-card.schema.json from the zod schema in
// main/services/modelCard.ts (the one definition of the card). The Python exporter validates
// every card it writes against that file; main/services/modelCard.test.ts fails when the
// committed file is stale.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureBuilt, root } from './build-node.mjs';

ensureBuilt({ quiet: true });
const { modelCardJsonSchemaText } = await import(pathToFileURL(path.join(root, 'out/node/main/services/modelCard.js')).href);
const target = path.join(root, 'models', 'model-card.schema.json');
writeFileSync(target, modelCardJsonSchemaText());
process.stdout.write(`wrote ${path.relative(root, target)}\n`);
