/**
 * `segment` run in-process with the real model, where its outputs go through an OutputFs that
 * fails writes the way a full disk does: the file is created, then the write fails.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lesionJpeg } from '../../test/fixtures/images.js';
import { nodeOutputFs, type OutputFs } from './outputFiles.js';
import { collectInputs, runSegment } from './segmentCommand.js';
import type { CliIo } from './usage.js';

let tmp: string;
let input: string;
const previousDataDir = process.env.LESIONDESK_DATA_DIR;

beforeAll(async () => {
  tmp = mkdtempSync(path.join(tmpdir(), 'lesiondesk-segment-'));
  process.env.LESIONDESK_DATA_DIR = path.join(tmp, 'data');
  input = path.join(tmp, 'in');
  mkdirSync(input);
  for (const [i, name] of ['a.jpg', 'b.jpg', 'c.jpg'].entries()) writeFileSync(path.join(input, name), await lesionJpeg(96 + 16 * i, 80));
});
afterAll(() => {
  if (previousDataDir === undefined) delete process.env.LESIONDESK_DATA_DIR;
  else process.env.LESIONDESK_DATA_DIR = previousDataDir;
  rmSync(tmp, { recursive: true, force: true });
});

async function segment(args: string[], fs: OutputFs = nodeOutputFs): Promise<{ code: number; err: string }> {
  const lines: string[] = [];
  const io: CliIo = { out: (l) => lines.push(l), err: (l) => lines.push(l), stdout: process.stdout };
  const code = await runSegment(args, io, fs);
  return { code, err: lines.join('\n') };
}

/** A disk with room for `room` more files: then each write creates its file and fails, as ENOSPC does. */
function fillingDisk(room: number): OutputFs {
  let left = room;
  return {
    ...nodeOutputFs,
    async writeFile(file, data, options) {
      if (left-- > 0) return nodeOutputFs.writeFile(file, data, options);
      await nodeOutputFs.writeFile(file, '', options);
      throw Object.assign(new Error(`ENOSPC: no space left on device, write`), { code: 'ENOSPC', errno: -28, syscall: 'write' });
    },
  };
}

describe('segment on a disk that fills up', () => {
  it('stops with the file and the reason, leaves no empty or temporary file, and the next run is not blocked', async () => {
    const out = path.join(tmp, 'full');
    const full = await segment([input, '--out', out], fillingDisk(0));
    expect(full.code).toBe(1);
    expect(full.err).toMatch(/cannot write .*full[/\\][abc]_segmentation\.png: the disk is full \(ENOSPC\)/);
    expect(full.err).toMatch(/stopped/);
    expect(readdirSync(out)).toEqual([]);

    // Space freed: the same command runs, with nothing to refuse.
    const again = await segment([input, '--out', out]);
    expect(again.err).not.toMatch(/already exist/);
    expect(again.code).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['a_segmentation.png', 'b_segmentation.png', 'c_segmentation.png', 'summary.csv']);
  });

  it('says so when --out is a file', async () => {
    writeFileSync(path.join(tmp, 'a-file'), 'x');
    await expect(segment([input, '--out', path.join(tmp, 'a-file')])).rejects.toThrow(`--out ${path.join(tmp, 'a-file')} is a file, not a folder`);
  });

  it('keeps only whole files when the disk fills part-way', async () => {
    const out = path.join(tmp, 'part');
    const part = await segment([input, '--out', out, '--overlay'], fillingDisk(2));
    expect(part.code).toBe(1);
    const left = readdirSync(out);
    expect(left.length).toBeLessThanOrEqual(2);
    for (const name of left) {
      const meta = await sharp(path.join(out, name)).metadata();
      expect(meta.width, name).toBeGreaterThan(0);
    }
  });
});

describe('segment and another run into the same folder', () => {
  it('keeps a summary.csv that appeared during the run and writes its own beside it', async () => {
    const out = path.join(tmp, 'race');
    const otherRun: OutputFs = {
      ...nodeOutputFs,
      async writeFile(file, data, options) {
        if (path.basename(file).startsWith('.summary.csv.')) writeFileSync(path.join(out, 'summary.csv'), 'the other run\n');
        return nodeOutputFs.writeFile(file, data, options);
      },
    };
    const run = await segment([input, '--out', out], otherRun);
    expect(run.code).toBe(1);
    const beside = path.join(out, `summary.${process.pid}.csv`);
    expect(run.err).toContain(`${path.join(out, 'summary.csv')} appeared during the run and was kept; this run's summary is ${beside}`);
    expect(readFileSync(path.join(out, 'summary.csv'), 'utf8')).toBe('the other run\n');
    expect(readFileSync(beside, 'utf8').split('\n')).toHaveLength(5);
    expect(readdirSync(out).filter((n) => n.startsWith('.'))).toEqual([]);
  });
});

describe('segment --overwrite and inputs reached through links', () => {
  it('never writes onto an input through a linked output folder', async () => {
    const dir = path.join(tmp, 'linked-in');
    mkdirSync(dir);
    // An input image named like x.jpg's mask, given explicitly (a folder walk skips such names).
    const inputs = { 'x.jpg': await lesionJpeg(96, 80), 'x_segmentation.png': await sharp(await lesionJpeg(64, 48)).png().toBuffer() };
    for (const [name, bytes] of Object.entries(inputs)) writeFileSync(path.join(dir, name), bytes);
    const link = path.join(tmp, 'linked-out');
    symlinkSync(dir, link, 'dir');
    const run = await segment([path.join(dir, 'x.jpg'), path.join(dir, 'x_segmentation.png'), '--out', link, '--overwrite']);
    expect(run.code, run.err).toBe(0);
    for (const [name, bytes] of Object.entries(inputs)) expect(readFileSync(path.join(dir, name)), name).toEqual(bytes);
    // x.jpg's mask took another name, as it does when --out is the folder itself.
    expect(readdirSync(dir).sort()).toEqual(['summary.csv', 'x.jpg', 'x_jpg_segmentation.png', 'x_segmentation.png', 'x_segmentation_segmentation.png']);
  });
});

describe('segment inputs', () => {
  it('walks a folder named like an image, and skips a pipe or a broken link named like one instead of reading it', async () => {
    const dir = path.join(tmp, 'odd');
    mkdirSync(path.join(dir, 'photo.jpg'), { recursive: true });
    writeFileSync(path.join(dir, 'photo.jpg', 'inside.jpg'), 'x');
    execFileSync('mkfifo', [path.join(dir, 'pipe.jpg')]);
    symlinkSync(path.join(dir, 'nowhere.jpg'), path.join(dir, 'gone.jpg'));
    symlinkSync(path.join(dir, 'photo.jpg', 'inside.jpg'), path.join(dir, 'linked.jpg'));
    const found = await collectInputs([dir]);
    expect(found.files).toEqual([path.join(dir, 'linked.jpg'), path.join(dir, 'photo.jpg', 'inside.jpg')]);
    expect(found.skipped).toEqual([
      `${path.join(dir, 'gone.jpg')}: not a regular file (a broken link, a pipe or a device)`,
      `${path.join(dir, 'pipe.jpg')}: not a regular file (a broken link, a pipe or a device)`,
    ]);
  });
});
