/**
 * How `lesiondesk segment` writes its outputs. The file operations are an interface so a test
 * can fail a write the way a full disk does (the file is created, then the write fails).
 */
import { link, rename, rm, writeFile } from 'node:fs/promises';

/** The file operations output writing uses (node:fs/promises by default). */
export interface OutputFs {
  writeFile(file: string, data: Uint8Array | string, options: { flag: 'w' | 'wx' }): Promise<void>;
  link(existing: string, target: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  rm(file: string, options: { force: true }): Promise<void>;
}

/** The real file system. */
export const nodeOutputFs: OutputFs = { writeFile, link, rename, rm };
