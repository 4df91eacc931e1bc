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
 * Model folders searched by the CLI, in order: $LESIONDESK_MODELS (a path list), the user's
 * model folder (~/.lesiondesk/models, where fine-tuned models go), the shipped `models/`.
 */
export function defaultModelDirs(): string[] {
  const fromEnv = (process.env.LESIONDESK_MODELS ?? '').split(path.delimiter).filter(Boolean);
  return [...fromEnv, path.join(os.homedir(), '.lesiondesk', 'models'), path.join(packageRoot(), 'models')];
}
