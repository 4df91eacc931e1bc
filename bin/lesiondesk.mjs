#!/usr/bin/env node
// `npx lesiondesk`: compiles the TypeScript CLI on first use (see build-node.mjs), then runs it.
import { pathToFileURL } from 'node:url';
import { cliEntry, ensureBuilt } from './build-node.mjs';

ensureBuilt();
const { main } = await import(pathToFileURL(cliEntry).href);
process.exitCode = await main(process.argv.slice(2));
