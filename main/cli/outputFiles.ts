/**
 * How `lesiondesk segment` writes its outputs. The file operations are an interface so a test
 * can fail a write the way a full disk does (the file is created, then the write fails).
 */
import { existsSync } from 'node:fs';
import { link, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

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
