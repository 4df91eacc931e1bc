/**
 * Reading files of the model store without trusting them: only regular files, never through a
 * link, never a pipe or a device (which would block a read forever), and never more than a
 * bound per kind of file. Everything the store, the evidence view and the model loader read
 * from a version folder or the active pointer goes through here.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { lstat, open } from 'node:fs/promises';
import path from 'node:path';
import { errorMessage } from './errors.js';

const MiB = 1024 * 1024;

/** The largest file of each kind the store reads (the shipped ONNX is 1 MB, its checkpoint 0.7 MB). */
export const sizeLimits = {
  onnx: 1024 * MiB,
  checkpoint: 1024 * MiB,
  /** A card lists the case ids a version learned from: thousands of lines at most. */
  card: 16 * MiB,
  pointer: 1 * MiB,
  record: 1 * MiB,
  /** metrics.json, evidence.json, job.log, evidence PNGs. */
  other: 256 * MiB,
} as const;

/** A file the store refuses to read, with a sentence saying why. */
export class StoreFileError extends Error {
  constructor(
    message: string,
    readonly code: 'missing' | 'link' | 'not-a-file' | 'too-large' | 'unreadable',
  ) {
    super(message);
    this.name = 'StoreFileError';
  }
}

/** Identity of a file's current content as cheap metadata (a replaced or rewritten file changes it). */
export interface FileIdentity {
  dev: number;
  ino: number;
  size: number;
  mtimeMs: number;
  ctimeMs: number;
}

const openFlags = constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);
const chunkBytes = 1 * MiB;

/**
 * Opens a regular file for reading: lstat first (a link, pipe or device is refused without
 * opening it), then open with O_NOFOLLOW | O_NONBLOCK and check the opened file is the one that
 * was looked at, so a swap in between cannot slip a pipe in.
 */
async function openRegular(file: string, limit: number) {
  const name = path.basename(file);
  let info;
  try {
    info = await lstat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new StoreFileError(`${name} is missing`, 'missing');
    throw new StoreFileError(`${name} could not be read (${errorMessage(error)})`, 'unreadable');
  }
  if (info.isSymbolicLink()) throw new StoreFileError(`${name} is a link; the store reads only regular files inside it`, 'link');
  if (!info.isFile()) throw new StoreFileError(`${name} is not a regular file`, 'not-a-file');
  if (info.size > limit) throw new StoreFileError(`${name} is ${info.size} bytes, more than the ${limit} a file of its kind may have`, 'too-large');
  let handle;
  try {
    handle = await open(file, openFlags);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ELOOP') throw new StoreFileError(`${name} is a link; the store reads only regular files inside it`, 'link');
    throw new StoreFileError(`${name} could not be opened (${errorMessage(error)})`, 'unreadable');
  }
  const opened = await handle.stat();
  if (!opened.isFile() || opened.ino !== info.ino || opened.dev !== info.dev) {
    await handle.close();
    throw new StoreFileError(`${name} changed while it was opened`, 'not-a-file');
  }
  return { handle, info: opened };
}

/** Reads at most `limit` bytes; a file that grows past it while read is refused. */
async function readAll(file: string, limit: number, onChunk: (chunk: Buffer) => void): Promise<FileIdentity> {
  const { handle, info } = await openRegular(file, limit);
  try {
    const buffer = Buffer.allocUnsafe(chunkBytes);
    let total = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, 0, chunkBytes, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > limit) throw new StoreFileError(`${path.basename(file)} grew past ${limit} bytes while it was read`, 'too-large');
      onChunk(buffer.subarray(0, bytesRead));
    }
    return { dev: info.dev, ino: info.ino, size: total, mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs };
  } catch (error) {
    if (error instanceof StoreFileError) throw error;
    throw new StoreFileError(`${path.basename(file)} could not be read (${errorMessage(error)})`, 'unreadable');
  } finally {
    await handle.close();
  }
}

/** The bytes of a regular file of at most `limit` bytes (StoreFileError otherwise). */
export async function readStoreFile(file: string, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  await readAll(file, limit, (chunk) => chunks.push(Buffer.from(chunk)));
  return Buffer.concat(chunks);
}

/** A regular file as UTF-8 text (StoreFileError otherwise). */
export async function readStoreText(file: string, limit: number): Promise<string> {
  return (await readStoreFile(file, limit)).toString('utf8');
}

/** The sha256 of a regular file of at most `limit` bytes, with the identity it had while hashed. */
export async function hashStoreFile(file: string, limit: number): Promise<{ sha256: string; identity: FileIdentity }> {
  const hash = createHash('sha256');
  const identity = await readAll(file, limit, (chunk) => hash.update(chunk));
  return { sha256: hash.digest('hex'), identity };
}

/** The identity of a regular file without reading it, or null when it is not one (or absent). */
export async function identityOf(file: string): Promise<FileIdentity | null> {
  try {
    const info = await lstat(file);
    if (!info.isFile()) return null;
    return { dev: info.dev, ino: info.ino, size: info.size, mtimeMs: info.mtimeMs, ctimeMs: info.ctimeMs };
  } catch {
    return null;
  }
}

/** Whether two identities describe the same unchanged file. */
export function sameIdentity(a: FileIdentity | null, b: FileIdentity | null): boolean {
  return a !== null && b !== null && a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs && a.ctimeMs === b.ctimeMs;
}
