#!/usr/bin/env node
/** npm start: build and launch the desktop app, or say in one sentence why it cannot. */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { findElectronBinary } from './electron-binary.mjs';

if (!findElectronBinary()) {
  console.error(
    'No Electron binary is installed on this machine (node_modules/electron has no dist/), so the desktop app cannot start; run `npm run serve` to use LesionDesk in a browser instead.',
  );
  process.exit(1);
}

const cli = path.join(import.meta.dirname, '..', 'node_modules', 'electron-vite', 'bin', 'electron-vite.js');
const child = spawn(process.execPath, [cli, 'preview', ...process.argv.slice(2)], { stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
