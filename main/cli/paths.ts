import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository/package root (works from main/cli and from the compiled out/node/main/cli). */
export function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'lesiondesk') return dir;
      } catch {
        // keep walking up
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

/**
 * The folder Electron's `app.getPath('userData')` resolves to for this app (the app keeps
 * fine-tuned models in its `models/` subfolder), so the CLI sees the same user models.
 */
export function userDataDir(): string {
  let appName = 'lesiondesk';
  try {
    const pkg = JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { name?: string; productName?: string };
    appName = pkg.productName ?? pkg.name ?? appName;
  } catch {
    // keep the default name
  }
  const home = os.homedir();
  const appData =
    process.platform === 'win32'
      ? (process.env.APPDATA ?? path.join(home, 'AppData', 'Roaming'))
      : process.platform === 'darwin'
        ? path.join(home, 'Library', 'Application Support')
        : (process.env.XDG_CONFIG_HOME ?? path.join(home, '.config'));
  return path.join(appData, appName);
}

/**
 * The user-data folder shared with the app: model versions (`models/`) and fine-tuning jobs
 * (`jobs/`). `LESIONDESK_DATA_DIR` moves all of it (scripts, tests, a second profile).
 */
export function dataDir(): string {
  const fromEnv = process.env.LESIONDESK_DATA_DIR?.trim();
  return fromEnv ? path.resolve(fromEnv) : userDataDir();
}

/**
 * Read-only folders with shipped models, in order: $LESIONDESK_MODELS (a path list), then the
 * package's `models/`. Fine-tuned versions live in the store under dataDir().
 */
export function defaultModelDirs(): string[] {
  const fromEnv = (process.env.LESIONDESK_MODELS ?? '').split(path.delimiter).filter(Boolean);
  return [...fromEnv, path.join(packageRoot(), 'models')];
}

/** The folder holding the `scsonet` Python package (the trainer). */
export function trainerDir(): string {
  return path.join(packageRoot(), 'models');
}
