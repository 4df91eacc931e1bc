/**
 * Reading the interactive inputs a person types or scripts: `--box x0,y0,x1,y1`,
 * `--click +x,y` / `--click -x,y`, and the `--boxes` CSV of `segment`. Pure (no sharp, no
 * model), so every wrong input has a unit test and a message that names it.
 */
import path from 'node:path';
import type { ImageClick, Region } from '../../preload/api.js';

/** A box or click the command line could not read; the message names it. */
export class InteractiveInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InteractiveInputError';
  }
}

const integer = /^-?\d+$/;

/** `x0,y0,x1,y1` in displayed image pixels (x1, y1 exclusive). */
export function parseBox(text: string, what = '--box'): Region {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length !== 4 || !parts.every((p) => integer.test(p))) {
    throw new InteractiveInputError(`${what} "${text}" must be four whole numbers x0,y0,x1,y1 (pixels, x1 and y1 exclusive)`);
  }
  const [x0, y0, x1, y1] = parts.map(Number);
  if (x1 <= x0 || y1 <= y0) throw new InteractiveInputError(`${what} "${text}" is inverted or empty: x1 must exceed x0 and y1 exceed y0`);
  return { x0, y0, x1, y1 };
}

/** `+x,y` (lesion) or `-x,y` (skin), an image pixel. */
export function parseClick(text: string): ImageClick {
  const m = /^([+-])\s*(\d+)\s*,\s*(\d+)$/.exec(text.trim());
  if (!m) throw new InteractiveInputError(`--click "${text}" must be +x,y (lesion) or -x,y (skin), whole pixels, e.g. --click +120,80`);
  return { x: Number(m[2]), y: Number(m[3]), positive: m[1] === '+' };
}

/** One row of a `--boxes` CSV. */
export interface BoxRow {
  file: string;
  box: Region;
  /** 1-based line number in the CSV, for messages. */
  line: number;
}

/** Splits one CSV line (RFC 4180 quotes allowed). */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(field);
      field = '';
    } else field += ch;
  }
  out.push(field);
  return out.map((f) => f.trim());
}

/** Reads a `--boxes` CSV: header `file,x0,y0,x1,y1`, one box per file. */
export function parseBoxesCsv(text: string, source: string): BoxRow[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const header = csvFields(lines[0] ?? '').map((h) => h.toLowerCase());
  if (header.join(',') !== 'file,x0,y0,x1,y1') {
    throw new InteractiveInputError(`${source}: the first line must be the header file,x0,y0,x1,y1 (it is "${lines[0] ?? ''}")`);
  }
  const rows: BoxRow[] = [];
  const seen = new Map<string, number>();
  for (let i = 1; i < lines.length; i++) {
    if (lines[i].trim() === '') continue;
    const fields = csvFields(lines[i]);
    if (fields.length !== 5 || fields[0] === '') throw new InteractiveInputError(`${source} line ${i + 1}: expected file,x0,y0,x1,y1, got "${lines[i]}"`);
    const box = parseBox(fields.slice(1).join(','), `${source} line ${i + 1}: box`);
    const earlier = seen.get(fields[0]);
    if (earlier !== undefined) throw new InteractiveInputError(`${source} line ${i + 1}: ${fields[0]} already has a box on line ${earlier}`);
    seen.set(fields[0], i + 1);
    rows.push({ file: fields[0], box, line: i + 1 });
  }
  return rows;
}

/**
 * Which input each CSV row means: the same path (relative to the CSV's folder, or absolute),
 * else the one input with that file name. A row that names no input, or a name two inputs
 * share, is an error naming the row.
 */
export function matchBoxes(rows: readonly BoxRow[], inputs: readonly string[], csvPath: string): Map<string, BoxRow> {
  const byPath = new Map(inputs.map((f) => [path.resolve(f), f]));
  const byName = new Map<string, string[]>();
  for (const f of inputs) byName.set(path.basename(f), [...(byName.get(path.basename(f)) ?? []), f]);
  const out = new Map<string, BoxRow>();
  const base = path.dirname(path.resolve(csvPath));
  for (const row of rows) {
    let file = byPath.get(path.resolve(base, row.file)) ?? byPath.get(path.resolve(row.file));
    if (!file) {
      const named = byName.get(path.basename(row.file)) ?? [];
      if (named.length > 1 && !row.file.includes('/')) {
        throw new InteractiveInputError(`${csvPath} line ${row.line}: ${row.file} names ${named.length} inputs (${named.join(', ')}); give its path`);
      }
      file = named.length === 1 && !row.file.includes('/') ? named[0] : undefined;
    }
    if (!file) throw new InteractiveInputError(`${csvPath} line ${row.line}: ${row.file} is not one of the images to segment`);
    if (out.has(file)) throw new InteractiveInputError(`${csvPath} line ${row.line}: ${row.file} is ${file}, which already has a box`);
    out.set(file, row);
  }
  return out;
}
