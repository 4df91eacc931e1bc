import { linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeOutputFs, OutputWriteError, planOutputs, realFolder, writeOutput } from './outputFiles.js';

let tmp: string;
let inDir: string;
beforeEach(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'lesiondesk-outputs-'));
  inDir = path.join(tmp, 'in');
  mkdirSync(inDir);
  writeFileSync(path.join(inDir, 'a.jpg'), 'image a');
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

describe('planning segment outputs against the inputs', () => {
  it('resolves a linked output folder, also one that does not exist yet below a link', async () => {
    symlinkSync(inDir, path.join(tmp, 'link'), 'dir');
    expect(await realFolder(path.join(tmp, 'link'))).toBe(await realFolder(inDir));
    expect(await realFolder(path.join(tmp, 'link', 'new', 'deeper'))).toBe(path.join(await realFolder(inDir), 'new', 'deeper'));
  });

  it('refuses, even with --overwrite, an output that is an input through a link, a hard link or summary.csv given as an input', async () => {
    const input = path.join(inDir, 'a.jpg');
    const out = path.join(tmp, 'out');
    mkdirSync(out);
    symlinkSync(input, path.join(out, 'a_segmentation.png'));
    const linked = await planOutputs([input], out, false, true);
    expect(linked.refusal).toBe(`a_segmentation.png in ${out} is the input ${input}, and would be overwritten; nothing was written. Choose another --out.`);

    rmSync(path.join(out, 'a_segmentation.png'));
    linkSync(input, path.join(out, 'a_segmentation.png'));
    expect((await planOutputs([input], out, false, true)).refusal).toMatch(/^a_segmentation\.png in .* is the input .*a\.jpg, and would be overwritten/);

    writeFileSync(path.join(inDir, 'summary.csv'), 'file\n');
    symlinkSync(inDir, path.join(tmp, 'link'), 'dir');
    const summary = await planOutputs([input, path.join(inDir, 'summary.csv')], path.join(tmp, 'link'), false, true);
    expect(summary.refusal).toMatch(/^summary\.csv in .*link is the input .*summary\.csv, and would be overwritten/);
  });

  it('names outputs in a linked input folder as in the folder itself', async () => {
    writeFileSync(path.join(inDir, 'a_segmentation.png'), 'an input image');
    symlinkSync(inDir, path.join(tmp, 'link'), 'dir');
    const files = [path.join(inDir, 'a.jpg'), path.join(inDir, 'a_segmentation.png')];
    const direct = await planOutputs(files, inDir, false, true);
    const linked = await planOutputs(files, path.join(tmp, 'link'), false, true);
    expect(linked.stems).toEqual(direct.stems);
    expect(linked.stems).toEqual(['a_jpg', 'a_segmentation']);
    expect(linked.refusal).toBeNull();
  });

  it('counts an empty output (a full disk before writes were atomic) as debris to replace, not as a result', async () => {
    const out = path.join(tmp, 'out');
    mkdirSync(out);
    writeFileSync(path.join(out, 'a_segmentation.png'), '');
    const plan = await planOutputs([path.join(inDir, 'a.jpg')], out, false, false);
    expect(plan.refusal).toBeNull();
    expect([...plan.emptyDebris]).toEqual([path.join(out, 'a_segmentation.png')]);
    writeFileSync(path.join(out, 'summary.csv'), 'file\n');
    expect((await planOutputs([path.join(inDir, 'a.jpg')], out, false, false)).refusal).toMatch(/^1 output file already exists .*\(summary\.csv\)/);
  });
});

describe('writing an output whole or not at all', () => {
  it('keeps a file that exists without replace, and leaves no temporary file either way', async () => {
    const file = path.join(tmp, 'm.png');
    await writeOutput(file, 'first', false);
    const error = await writeOutput(file, 'second', false).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutputWriteError);
    expect((error as OutputWriteError).message).toBe(`cannot write ${file}: it appeared during the run and was not overwritten (use --overwrite)`);
    expect(readFileSync(file, 'utf8')).toBe('first');
    await writeOutput(file, 'third', true);
    expect(readFileSync(file, 'utf8')).toBe('third');
    expect(readdirSync(tmp).sort()).toEqual(['in', 'm.png']);
  });

  it('replaces a link named like the output, never what it points to', async () => {
    const target = path.join(inDir, 'a.jpg');
    const file = path.join(tmp, 'a_segmentation.png');
    symlinkSync(target, file);
    await writeOutput(file, 'mask', true);
    expect(readFileSync(target, 'utf8')).toBe('image a');
    expect(readFileSync(file, 'utf8')).toBe('mask');
    expect(() => readlinkSync(file)).toThrow();
  });

  it('falls back to a checked rename where the disk has no hard links', async () => {
    const noLinks = { ...nodeOutputFs, link: async () => Promise.reject(Object.assign(new Error('EPERM'), { code: 'EPERM' })) };
    const file = path.join(tmp, 'fat.png');
    await writeOutput(file, 'one', false, noLinks);
    await expect(writeOutput(file, 'two', false, noLinks)).rejects.toThrow(/appeared during the run/);
    expect(readFileSync(file, 'utf8')).toBe('one');
    expect(readdirSync(tmp).sort()).toEqual(['fat.png', 'in']);
  });

  it('names the file, the reason and the fix for a folder that cannot be written', async () => {
    for (const [code, reason] of [['EROFS', 'the disk is read-only'], ['EACCES', 'permission denied'], ['ENOSPC', 'the disk is full']] as const) {
      const failing = { ...nodeOutputFs, writeFile: async () => Promise.reject(Object.assign(new Error(code), { code })) };
      const error = (await writeOutput(path.join(tmp, 'x.png'), 'x', false, failing).catch((e: unknown) => e)) as OutputWriteError;
      expect(error.message).toBe(`cannot write ${path.join(tmp, 'x.png')}: ${reason} (${code})`);
      expect(error.folderFix).toMatch(/--out/);
    }
  });
});
