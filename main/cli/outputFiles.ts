/**
 * How `lesiondesk segment` writes its outputs. The file operations are an interface so a test
 * can fail a write the way a full disk does (the file is created, then the write fails).
 */
import { existsSync } from 'node:fs';
import { link, lstat, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { overwriteRefusal, plannedOutputs, uniqueOutputStems } from './outputNames.js';

/** The file operations output writing uses (node:fs/promises by default). */
export interface OutputFs {
  writeFile(file: string, data: Uint8Array | string, options: { flag: 'w' | 'wx' }): Promise<void>;
  link(existing: string, target: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  rm(file: string, options: { force: true }): Promise<void>;
}

/** The real file system. */
export const nodeOutputFs: OutputFs = { writeFile, link, rename, rm };

/** Errors that concern the output folder or its disk, not one file: the run stops on them. */
const folderErrors: Record<string, { reason: string; fix: string }> = {
  ENOSPC: { reason: 'the disk is full', fix: 'Free some space on that disk or choose another --out' },
  EDQUOT: { reason: 'the disk quota is used up', fix: 'Free some space within your quota or choose another --out' },
  EROFS: { reason: 'the disk is read-only', fix: 'Choose an --out on a writable disk' },
  EACCES: { reason: 'permission denied', fix: 'Make the folder writable for you or choose another --out' },
  EPERM: { reason: 'permission denied', fix: 'Make the folder writable for you or choose another --out' },
  EIO: { reason: 'the disk reported an input/output error', fix: 'Check the disk or choose another --out' },
};

/** An output that could not be written: the file, the reason, and whether the run must stop. */
export class OutputWriteError extends Error {
  constructor(
    readonly file: string,
    readonly reason: string,
    /** The system error code (ENOSPC, EEXIST, ...), or '' when there is none. */
    readonly code: string,
    /** What to do, when the folder or disk is at fault (full, read-only, no permission): every later write would fail too, so the run stops. */
    readonly folderFix: string | null,
    options?: { cause?: unknown },
  ) {
    super(`cannot write ${file}: ${reason}`, options);
    this.name = 'OutputWriteError';
  }
}

/** The OutputWriteError for what writing `file` threw. */
export function outputWriteError(file: string, error: unknown): OutputWriteError {
  if (error instanceof OutputWriteError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (code === 'EEXIST') return new OutputWriteError(file, 'it appeared during the run and was not overwritten (use --overwrite)', code, null, { cause: error });
  const known = folderErrors[code];
  if (known) return new OutputWriteError(file, `${known.reason} (${code})`, code, known.fix, { cause: error });
  return new OutputWriteError(file, (error as Error).message ?? String(error), code, null, { cause: error });
}

// File systems without hard links (FAT, exFAT, some network shares) refuse link() with these.
const noHardLinks = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK']);
let temporaryCount = 0;

/**
 * Writes `file` whole or not at all: the bytes go to a hidden temporary file in the same folder,
 * which then takes the name (rename is atomic within a folder). A failed write removes the
 * temporary file, so a full disk leaves no empty or half-written output to block the next run.
 * Without `replace` an existing file is kept: the temporary file is hard-linked to the name,
 * which fails if the name exists (where hard links are not supported, an existence check and a
 * rename stand in). A link at `file` is replaced itself; what it points to is never written.
 */
export async function writeOutput(file: string, data: Uint8Array | string, replace: boolean, fs: OutputFs = nodeOutputFs): Promise<void> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}-${++temporaryCount}.tmp`);
  try {
    await fs.writeFile(temporary, data, { flag: 'wx' });
    if (replace) {
      await fs.rename(temporary, file);
      return;
    }
    try {
      await fs.link(temporary, file);
    } catch (error) {
      if (!noHardLinks.has((error as NodeJS.ErrnoException).code ?? '')) throw error;
      if (existsSync(file)) throw Object.assign(new Error(`EEXIST: ${file}`), { code: 'EEXIST' });
      await fs.rename(temporary, file);
      return;
    }
  } catch (error) {
    await fs.rm(temporary, { force: true }).catch(() => undefined);
    throw outputWriteError(file, error);
  }
  // Linked: the output is whole under its name; the temporary name is only a second link to it.
  await fs.rm(temporary, { force: true }).catch(() => undefined);
}

/**
 * The real path of a folder that may not exist yet: its nearest existing ancestor resolved
 * (links followed), with the missing rest appended.
 */
export async function realFolder(dir: string): Promise<string> {
  const absolute = path.resolve(dir);
  const rest: string[] = [];
  for (let current = absolute; ; current = path.dirname(current)) {
    try {
      return path.join(await realpath(current), ...rest);
    } catch {
      if (path.dirname(current) === current) return absolute;
      rest.unshift(path.basename(current));
    }
  }
}

/** A file's identity (device and inode, links followed), or null when it cannot be read. */
async function identity(file: string): Promise<string | null> {
  const info = await stat(file, { bigint: true }).catch(() => null);
  return info ? `${info.dev}:${info.ino}` : null;
}

/** What `segment` will write, decided before any work. */
export interface OutputPlan {
  stems: string[];
  /** Every path the run writes (under `outDir` as given). */
  planned: string[];
  /** Planned outputs that exist as empty files (left by a full disk before writes were atomic): replaced, never counted as results. */
  emptyDebris: Set<string>;
  /** Why nothing may be written (exit code 2), or null. */
  refusal: string | null;
}

/**
 * Output names and the checks made before any work. Inputs and the output folder are compared
 * by real path (links resolved) and existing outputs by identity (device and inode), so an
 * output folder that is, or links to, an input folder gets the same names as the folder itself,
 * and nothing, not even with --overwrite, is written onto an input: not through a linked
 * folder, a link named like an output, a hard link, or another spelling on a case-insensitive
 * disk.
 */
export async function planOutputs(files: readonly string[], outDir: string, withOverlay: boolean, overwrite: boolean): Promise<OutputPlan> {
  const realOut = await realFolder(outDir);
  const realInputs = await Promise.all(files.map((f) => realpath(f).catch(() => path.resolve(f))));
  const inputIds = new Map<string, string>();
  await Promise.all(
    files.map(async (f) => {
      const id = await identity(f);
      if (id) inputIds.set(id, f);
    }),
  );
  const stems = uniqueOutputStems(files, realOut, withOverlay, realInputs);
  const planned = plannedOutputs(stems, outDir, withOverlay);
  const realPlanned = plannedOutputs(stems, realOut, withOverlay);
  const byRealPath = new Map(realInputs.map((r, i) => [r.toLowerCase(), files[i]!]));
  const onInputs: string[] = [];
  const existing: string[] = [];
  const emptyDebris = new Set<string>();
  for (const [i, output] of planned.entries()) {
    const own = await lstat(output).catch(() => null);
    const input = byRealPath.get(realPlanned[i]!.toLowerCase()) ?? (own ? inputIds.get((await identity(output)) ?? '') : undefined);
    if (input !== undefined) onInputs.push(`${path.basename(output)} in ${outDir} is the input ${input}`);
    else if (own?.isFile() && own.size === 0) emptyDebris.add(output);
    else if (own) existing.push(output);
  }
  if (onInputs.length > 0) {
    return { stems, planned, emptyDebris, refusal: `${onInputs.join('; ')}, and would be overwritten; nothing was written. Choose another --out.` };
  }
  return { stems, planned, emptyDebris, refusal: overwrite ? null : overwriteRefusal(existing, outDir) };
}
