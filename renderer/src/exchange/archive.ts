/**
 * Where exports go: a zip file, or a folder through the File System Access API when the
 * browser has it (no size limit, nothing held in memory).
 *
 * Zips are written with fflate: small (a few kB of what we use), no dependencies, maintained,
 * synchronous streaming classes that need no Web Worker (so no CSP exception in Electron), and
 * it runs the same in Node for tests. JSZip is several times larger and slower. fflate writes
 * no Zip64, so a zip stops at 4 GiB and 65,535 entries; the writer says so before going past.
 */
import { Zip, ZipDeflate, ZipPassThrough, unzipSync } from 'fflate';

/** A destination that takes files by path ('/'-separated). */
export interface ArchiveWriter {
  /** Add a file; `compress` is worth it for text, not for JPEG or PNG. */
  add(path: string, data: Uint8Array | Blob, options?: { compress?: boolean }): Promise<void>;
  /** Finish; a zip writer returns the zip, a folder writer null. */
  finish(): Promise<Blob | null>;
}

const zipByteLimit = 0xffff_ffff - 1024 * 1024;
const zipEntryLimit = 0xffff;

async function bytesOf(data: Uint8Array | Blob): Promise<Uint8Array> {
  return data instanceof Blob ? new Uint8Array(await data.arrayBuffer()) : data;
}

/** A writer that builds a zip in memory (kept as Blob parts, which Chromium may page to disk). */
export function createZipWriter(): ArchiveWriter {
  const parts: BlobPart[] = [];
  let failure: Error | null = null;
  let bytes = 0;
  let entries = 0;
  const zip = new Zip((error, chunk) => {
    if (error) failure = error;
    else {
      bytes += chunk.length;
      parts.push(chunk as Uint8Array<ArrayBuffer>);
    }
  });
  return {
    async add(path, data, options = {}) {
      const content = await bytesOf(data);
      if (bytes + content.length > zipByteLimit || entries + 1 >= zipEntryLimit) {
        throw new Error('The export is too large for a zip file (4 GB or 65,535 files); export to a folder instead.');
      }
      const entry = options.compress ? new ZipDeflate(path, { level: 6 }) : new ZipPassThrough(path);
      zip.add(entry);
      entry.push(content, true);
      entries++;
      if (failure) throw failure;
    },
    async finish() {
      zip.end();
      if (failure) throw failure;
      return new Blob(parts, { type: 'application/zip' });
    },
  };
}

/** A writer into a folder the user picked (File System Access API) or the origin-private file system. */
export function createDirectoryWriter(root: FileSystemDirectoryHandle): ArchiveWriter {
  return {
    async add(path, data) {
      const segments = path.split('/').filter(Boolean);
      const name = segments.pop();
      if (!name) throw new Error(`Cannot write a file without a name (${path}).`);
      let folder = root;
      for (const segment of segments) folder = await folder.getDirectoryHandle(segment, { create: true });
      const writable = await (await folder.getFileHandle(name, { create: true })).createWritable();
      try {
        await writable.write(data instanceof Blob ? data : new Blob([data as Uint8Array<ArrayBuffer>]));
      } finally {
        await writable.close();
      }
    },
    async finish() {
      return null;
    },
  };
}

type DirectoryPicker = (options?: { id?: string; mode?: 'read' | 'readwrite' }) => Promise<FileSystemDirectoryHandle>;

/**
 * Ask the user for an export folder where the browser can (Chromium, Electron); elsewhere, or
 * when the picker is unavailable, fall back to a zip. Returns null when the user cancelled.
 */
export async function chooseExportWriter(): Promise<ArchiveWriter | null> {
  const picker = (globalThis as { showDirectoryPicker?: DirectoryPicker }).showDirectoryPicker;
  if (!picker) return createZipWriter();
  try {
    return createDirectoryWriter(await picker({ id: 'lesiondesk-export', mode: 'readwrite' }));
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') return null;
    return createZipWriter();
  }
}

/** Offer a Blob as a download (the zip fallback's last step). */
export function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.click();
  // Revoke later: the download starts asynchronously and still needs the URL.
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

/** Thrown for a file that is not a readable zip. */
export class NotAZipError extends Error {
  constructor(fileName: string) {
    super(`${fileName} is not a zip file (or it is damaged).`);
    this.name = 'NotAZipError';
  }
}

/**
 * Every entry of a zip. Read through the central directory (unzipSync), which is what writers
 * that stream with data descriptors, fflate included, need to be read back reliably.
 */
export async function readZip(file: Blob, fileName = 'The file'): Promise<Map<string, Uint8Array>> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  if (bytes.length < 22 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) throw new NotAZipError(fileName);
  try {
    return new Map(Object.entries(unzipSync(bytes)));
  } catch {
    throw new NotAZipError(fileName);
  }
}

/** An entry a capped read refuses: it would inflate past its limit. */
export class ZipEntryTooLargeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ZipEntryTooLargeError';
  }
}

/**
 * Only the entries `wanted` names (it sees each entry's declared size too), each inflated only if its declared size is within
 * `maxEntryBytes(name)` and all of them within `maxTotalBytes`; every other entry is never
 * inflated (a zip bomb beside a few real entries costs nothing). The sizes come from the
 * central directory; an entry that inflates to another size than declared is refused too.
 */
export async function readZipEntries(
  file: Blob | Uint8Array,
  wanted: (name: string, declaredSize: number) => boolean,
  caps: { maxEntryBytes: (name: string) => number; maxTotalBytes: number },
  fileName = 'The file',
): Promise<Map<string, Uint8Array>> {
  const bytes = file instanceof Uint8Array ? file : new Uint8Array(await file.arrayBuffer());
  if (bytes.length < 22 || bytes[0] !== 0x50 || bytes[1] !== 0x4b) throw new NotAZipError(fileName);
  const declared = new Map<string, number>();
  let total = 0;
  let tooLarge: ZipEntryTooLargeError | null = null;
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes, {
      filter: (info) => {
        if (tooLarge || !wanted(info.name, info.originalSize)) return false;
        const limit = caps.maxEntryBytes(info.name);
        total += info.originalSize;
        if (info.originalSize > limit) {
          tooLarge = new ZipEntryTooLargeError(`${info.name} would inflate to ${megabytes(info.originalSize)}, above its limit of ${megabytes(limit)}`);
        } else if (total > caps.maxTotalBytes) {
          tooLarge = new ZipEntryTooLargeError(`its entries would inflate to more than ${megabytes(caps.maxTotalBytes)} in all`);
        }
        declared.set(info.name, info.originalSize);
        return !tooLarge;
      },
    });
  } catch {
    if (tooLarge) throw tooLarge;
    throw new NotAZipError(fileName);
  }
  if (tooLarge) throw tooLarge;
  for (const [name, data] of Object.entries(entries)) {
    if (data.length !== declared.get(name)) throw new ZipEntryTooLargeError(`${name} inflates to another size than its header declares`);
  }
  return new Map(Object.entries(entries));
}

function megabytes(n: number): string {
  return n >= 1 << 30 ? `${(n / 2 ** 30).toFixed(1)} GB` : `${Math.ceil(n / 2 ** 20)} MB`;
}
