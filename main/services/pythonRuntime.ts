/**
 * Finding the Python that runs fine-tuning jobs, and the preflight a job needs before it can
 * start. Order: the app's setting, then `LESIONDESK_PYTHON`, then the first interpreter on the
 * PATH (and the usual system locations) that imports torch. An interpreter chosen explicitly
 * (setting or variable) is never silently replaced: if it is broken the user is told so.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, statfs } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import type { PreflightProblem, TrainingPreflight } from '../../preload/api.js';
import { errorMessage } from './errors.js';

/** The interpreter a job will use. */
export interface PythonInfo {
  path: string;
  version: string;
  torch: string;
}

/** How to look for Python and what a job needs. */
export interface PreflightOptions {
  /** The app's Python setting (highest priority). */
  pythonSetting?: string | null;
  env?: NodeJS.ProcessEnv;
  /** Folder whose disk holds jobs and versions. */
  dataDir: string;
  /** Free space a job needs (default 1 GiB: inputs at model size, the log, a new version). */
  minFreeBytes?: number;
  /** Injected for tests: free bytes of the data disk. */
  freeBytes?: (dir: string) => Promise<number>;
  /** Interpreters to try instead of defaultPythonCandidates (tests). */
  candidates?: string[];
  /**
   * An interpreter a recent preflight found working: used without starting it again while its
   * file still exists (importing torch costs seconds, tens of seconds on a cold laptop disk).
   */
  knownPython?: PythonInfo | null;
}

/** Oldest PyTorch the trainer is tested with (Debian 12's). */
export const minTorch = [1, 13] as const;

/** Modules the trainer imports; a missing one is reported before a job starts, not at its end. */
const requiredModules = ['torch', 'numpy', 'PIL', 'jsonschema'];

const probeScript = [
  'import json, sys',
  'out = {"python": sys.version.split()[0], "missing": [], "torch": None}',
  `for name in ${JSON.stringify(requiredModules)}:`,
  '    try:',
  '        module = __import__(name)',
  '        if name == "torch": out["torch"] = module.__version__',
  '    except Exception as exc:',
  '        out["missing"].append(f"{name} ({exc.__class__.__name__}: {exc})")',
  'print(json.dumps(out))',
].join('\n');

/**
 * What the probe prints. Checked, not assumed: the program at the chosen path may be a wrapper,
 * a shim or a Python whose start-up prints JSON of its own, and its answer decides the message.
 */
const ProbeReply = z.object({
  python: z.string().regex(/^\d+\.\d+/),
  missing: z.array(z.string()),
  torch: z.string().nullable(),
});

/** The start of what a program printed, on one line, for a message. */
function excerpt(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 80 ? `${line.slice(0, 80)}...` : line || 'nothing';
}

const installFix =
  'Install Python 3 with PyTorch (Debian/Ubuntu: `sudo apt-get install python3-torch python3-numpy python3-pil python3-jsonschema`; ' +
  'elsewhere: `pip install torch numpy pillow jsonschema`), then choose that interpreter in the Python setting or the LESIONDESK_PYTHON environment variable.';

interface Probe {
  ok: boolean;
  info?: PythonInfo;
  problem?: PreflightProblem;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    // 120 s: importing torch the first time on a cold laptop disk takes tens of seconds.
    execFile(file, args, { env, timeout: 120_000, windowsHide: true, maxBuffer: 1 << 20 }, (error, stdout, stderr) => {
      if (error) reject(Object.assign(error, { stderr }));
      else resolve({ stdout, stderr });
    });
  });
}

function torchTooOld(version: string): boolean {
  const [major, minor] = version.split(/[.+]/).map(Number);
  if (major === undefined || minor === undefined || Number.isNaN(major) || Number.isNaN(minor)) return false;
  return major < minTorch[0] || (major === minTorch[0] && minor < minTorch[1]);
}

/** Runs the probe in one interpreter. */
export async function probePython(file: string, env: NodeJS.ProcessEnv = process.env): Promise<Probe> {
  let stdout: string;
  try {
    ({ stdout } = await run(file, ['-c', probeScript], env));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'not found' : code === 'EACCES' ? 'not executable' : errorMessage(error).split('\n')[0];
    return { ok: false, problem: { code: 'no-python', message: `Python ${file} could not be run (${why}).`, fix: installFix } };
  }
  const last = stdout.trim().split('\n').pop() ?? '';
  let reply: unknown;
  try {
    reply = JSON.parse(last);
  } catch {
    reply = undefined;
  }
  const parsed = ProbeReply.safeParse(reply);
  if (!parsed.success) {
    return {
      ok: false,
      problem: {
        code: 'no-python',
        message: `This Python is not usable: ${file} answered the check with something other than Python's version and modules (${excerpt(last)}).`,
        fix: installFix,
      },
    };
  }
  const out = parsed.data;
  if (out.missing.length > 0) {
    return {
      ok: false,
      problem: {
        code: 'no-torch',
        message: `Python ${out.python} at ${file} cannot import what fine-tuning needs: ${out.missing.join('; ')}.`,
        fix: installFix,
      },
    };
  }
  const info: PythonInfo = { path: file, version: out.python, torch: out.torch ?? 'unknown' };
  if (out.torch && torchTooOld(out.torch)) {
    return {
      ok: false,
      info,
      problem: {
        code: 'old-torch',
        message: `Python at ${file} has PyTorch ${out.torch}; fine-tuning needs ${minTorch.join('.')} or newer.`,
        fix: `Upgrade PyTorch in that interpreter (pip install --upgrade torch) or choose another one. ${installFix}`,
      },
    };
  }
  return { ok: true, info };
}

/** Interpreters tried when none is chosen explicitly, in order. */
export function defaultPythonCandidates(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string[] {
  const names = platform === 'win32' ? ['python.exe', 'python3.exe', 'py.exe'] : ['python3', 'python'];
  const dirs = (env.PATH ?? env.Path ?? '').split(path.delimiter).filter(Boolean);
  const onPath = dirs.flatMap((dir) => names.map((n) => path.join(dir, n)));
  const system = platform === 'win32' ? [] : ['/usr/bin/python3', '/usr/local/bin/python3', '/opt/homebrew/bin/python3'];
  return [...new Set([...onPath, ...system])];
}

/** Finds the interpreter (see the module comment) or the problem to show. */
export async function findPython(options: Pick<PreflightOptions, 'pythonSetting' | 'env' | 'candidates'>): Promise<Probe> {
  const env = options.env ?? process.env;
  const explicit = options.pythonSetting?.trim() || env.LESIONDESK_PYTHON?.trim();
  if (explicit) {
    const probe = await probePython(explicit, env);
    if (!probe.ok && probe.problem) {
      const source = options.pythonSetting?.trim() ? 'the Python setting' : 'LESIONDESK_PYTHON';
      probe.problem = { ...probe.problem, message: `${probe.problem.message} (chosen by ${source})` };
    }
    return probe;
  }
  let firstProblem: PreflightProblem | undefined;
  let anyPython = false;
  for (const candidate of options.candidates ?? defaultPythonCandidates(env)) {
    if (!existsSync(candidate)) continue;
    const probe = await probePython(candidate, env);
    if (probe.ok) return probe;
    if (probe.problem?.code !== 'no-python') anyPython = true;
    if (!firstProblem || (firstProblem.code === 'no-python' && probe.problem?.code !== 'no-python')) firstProblem = probe.problem;
  }
  if (!anyPython || !firstProblem) {
    return { ok: false, problem: { code: 'no-python', message: 'No Python 3 interpreter was found on this computer.', fix: installFix } };
  }
  return { ok: false, problem: { ...firstProblem, message: `${firstProblem.message} No other Python found here imports PyTorch.` } };
}

async function defaultFreeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return Number(s.bavail) * Number(s.bsize);
}

function formatBytes(n: number): string {
  return n >= 1 << 30 ? `${(n / (1 << 30)).toFixed(1)} GB` : `${Math.round(n / (1 << 20))} MB`;
}

/** Everything that keeps a job from starting, each with a fix. */
export async function preflight(options: PreflightOptions): Promise<TrainingPreflight> {
  const problems: PreflightProblem[] = [];
  const known = options.knownPython;
  const python: Probe = known && existsSync(known.path) ? { ok: true, info: known } : await findPython(options);
  if (python.problem) problems.push(python.problem);
  let free: number | null;
  try {
    await mkdir(options.dataDir, { recursive: true });
    free = await (options.freeBytes ?? defaultFreeBytes)(options.dataDir);
  } catch {
    free = null; // Unknown (no statfs here): the job will say so if the disk fills.
  }
  const need = options.minFreeBytes ?? 1 << 30;
  if (free !== null && free < need) {
    problems.push({
      code: 'low-disk',
      message: `Only ${formatBytes(free)} is free on the disk that holds ${options.dataDir}; a fine-tuning job needs about ${formatBytes(need)}.`,
      fix: 'Free some disk space (delete old candidate model versions, empty the trash), or move the data folder with LESIONDESK_DATA_DIR.',
    });
  }
  return { ok: problems.length === 0, python: python.info ?? null, freeDiskBytes: free, problems };
}
