// Runs in Chromium against real IndexedDB, createImageBitmap and OffscreenCanvas
// (vitest.browser.config.ts): import, export, re-import and backup round trips.
import { afterEach, describe, expect, it } from 'vitest';
import { openCaseRepository, StorageError, type CaseRepository } from '../storage/index.ts';
import { createDirectoryWriter, createZipWriter, readZip } from './archive.ts';
import { BackupFormatError, createBackup, inspectBackup, readBackupContents, restoreBackup } from './backup.ts';
import { masksEqual, type BinaryMask } from './binary-mask.ts';
import { exportCoco, exportIsic, exportMeasurementsCsv, type CocoDataset } from './export.ts';
import { decodeImage, decodeMaskImage, decodeMaskImageOnCanvas } from './image-codec.ts';
import { importSources, sourcesFromFiles } from './import.ts';
import type { ImportSource } from './isic.ts';
import { encodeMaskPng } from './png.ts';
import { decodeRle } from './rle.ts';

const databases: { name: string; repository: CaseRepository }[] = [];

async function freshRepository(): Promise<CaseRepository> {
  const name = `lesiondesk-exchange-${crypto.randomUUID()}`;
  const repository = await openCaseRepository(name);
  databases.push({ name, repository });
  return repository;
}

afterEach(async () => {
  for (const { name, repository } of databases.splice(0)) {
    repository.close();
    await new Promise((resolve) => {
      const request = indexedDB.deleteDatabase(name);
      request.onsuccess = request.onerror = request.onblocked = resolve;
    });
  }
});

/** A PNG "dermoscopy image" with a pattern that makes each one different. */
async function syntheticImage(width: number, height: number, seed: number): Promise<Blob> {
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext('2d')!;
  context.fillStyle = `rgb(${200 - seed * 10}, 160, 140)`;
  context.fillRect(0, 0, width, height);
  context.fillStyle = 'rgb(90, 50, 40)';
  context.beginPath();
  context.ellipse(width / 2, height / 2, width / 4 + seed, height / 5, 0, 0, Math.PI * 2);
  context.fill();
  return canvas.convertToBlob({ type: 'image/png' });
}

/** An irregular mask: an ellipse with a hole and a stray island, so pixel errors would show. */
function syntheticMask(width: number, height: number, seed: number): BinaryMask {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const dx = (x - width / 2) / (width / 3 + seed);
      const dy = (y - height / 2) / (height / 3);
      const inEllipse = dx * dx + dy * dy <= 1;
      const inHole = Math.abs(x - width / 2) < 3 && Math.abs(y - height / 2) < 2;
      const island = x === seed + 1 && y === 1;
      data[y * width + x] = (inEllipse && !inHole) || island ? 1 : 0;
    }
  }
  return { width, height, data };
}

const pngBlob = (mask: BinaryMask) => new Blob([encodeMaskPng(mask)], { type: 'image/png' });

interface Fixture {
  sources: ImportSource[];
  masks: Map<string, BinaryMask>;
}

/** An ISIC 2018-layout folder: three images with masks, a corrupt JPEG with a mask, a licence file. */
async function isicFolder(): Promise<Fixture> {
  const sources: ImportSource[] = [];
  const masks = new Map<string, BinaryMask>();
  const sizes = [
    [41, 29],
    [64, 48],
    [30, 30],
  ] as const;
  for (const [i, [w, h]] of sizes.entries()) {
    const id = `ISIC_000000${i}`;
    const mask = syntheticMask(w, h, i);
    masks.set(`${id}.png`, mask);
    sources.push({ path: `ISIC2018_Task1-2_Training_Input/${id}.png`, file: await syntheticImage(w, h, i) });
    sources.push({ path: `ISIC2018_Task1_Training_GroundTruth/${id}_segmentation.png`, file: pngBlob(mask) });
  }
  // A JPEG header and then garbage: what a truncated download looks like.
  sources.push({ path: 'ISIC2018_Task1-2_Training_Input/ISIC_0000009.jpg', file: new Blob([new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4, 5])], { type: 'image/jpeg' }) });
  sources.push({ path: 'ISIC2018_Task1_Training_GroundTruth/ISIC_0000009_segmentation.png', file: pngBlob(syntheticMask(10, 10, 0)) });
  sources.push({ path: 'ISIC2018_Task1-2_Training_Input/LICENSE.txt', file: new Blob(['CC-BY-NC']) });
  return { sources, masks };
}

async function latestMask(repository: CaseRepository, caseId: string): Promise<BinaryMask> {
  const record = await repository.getCase(caseId);
  const version = await repository.getVersion(record!.latestVersionId!);
  return decodeMaskImage(version!.png);
}

async function approve(repository: CaseRepository, caseId: string): Promise<void> {
  await repository.setStatus(caseId, 'in-progress');
  await repository.setStatus(caseId, 'approved');
}

describe('import', () => {
  it('imports an ISIC folder with masks as ground truth, reports the corrupt file, imports the rest', async () => {
    const repository = await freshRepository();
    const { sources, masks } = await isicFolder();
    const progress: string[] = [];
    const report = await importSources(repository, sources, { onProgress: (p) => progress.push(`${p.phase} ${p.done}/${p.total}`) });

    expect(report.importedCaseIds).toHaveLength(3);
    expect(report.masksImported).toBe(3);
    expect(report.failures.map((f) => f.path)).toEqual([
      'ISIC2018_Task1-2_Training_Input/ISIC_0000009.jpg',
      'ISIC2018_Task1_Training_GroundTruth/ISIC_0000009_segmentation.png',
    ]);
    expect(report.failures[0]!.reason).toMatch(/ISIC_0000009\.jpg could not be read as an image/);
    expect(report.failures[1]!.reason).toMatch(/its image could not be imported/);
    expect(report.ignored).toEqual(['ISIC2018_Task1-2_Training_Input/LICENSE.txt']);
    expect(progress).toContain('images 0/4');
    expect(progress).toContain('images 4/4');
    expect(progress).toContain('masks 4/4');

    const page = await repository.listCases({ sort: 'name' });
    expect(page.cases.map((c) => c.fileName)).toEqual(['ISIC_0000000.png', 'ISIC_0000001.png', 'ISIC_0000002.png']);
    for (const record of page.cases) {
      const versions = await repository.listVersions(record.id);
      expect(versions).toHaveLength(1);
      expect(versions[0]).toMatchObject({ authorKind: 'ground-truth', author: 'ground truth (ISIC2018_Task1_Training_GroundTruth)' });
      expect(masksEqual(await latestMask(repository, record.id), masks.get(record.fileName)!)).toBe(true);
      const thumbnail = await repository.getThumbnail(record.id);
      const decoded = await decodeImage(thumbnail!, 'thumbnail', 1000);
      expect(Math.max(decoded.width, decoded.height)).toBe(Math.min(160, Math.max(record.width, record.height)));
    }

    // The same folder again changes nothing.
    const again = await importSources(repository, sources);
    expect(again).toMatchObject({ importedCaseIds: [], duplicates: 3, masksImported: 0, masksAlreadyPresent: 3 });
    expect((await repository.countCases()).total).toBe(3);
  });

  it('imports several images at a time, yet one case per distinct image, reported in file order', async () => {
    const repository = await freshRepository();
    const blobs = await Promise.all([1, 2, 3, 4, 5].map((seed) => syntheticImage(24, 16, seed)));
    // b.png is a.png again under another name, in the same import.
    const files = ['a', 'b', 'c', 'd', 'e', 'f'].map((name, i) => new File([blobs[i === 1 ? 0 : i > 1 ? i - 1 : 0]!], `${name}.png`, { type: 'image/png' }));
    const report = await importSources(repository, sourcesFromFiles(files));
    expect(report.duplicates).toBe(1);
    expect(report.importedCaseIds).toHaveLength(5);
    const names = await Promise.all(report.importedCaseIds.map(async (id) => (await repository.getCase(id))!.fileName));
    expect(names).toEqual(['a.png', 'c.png', 'd.png', 'e.png', 'f.png']);
    expect((await repository.countCases()).total).toBe(5);
    // Cases are created in file order: the library's date sort (newest first) is its reverse.
    const byDate = await repository.listCases({ sort: 'date' });
    expect(byDate.cases.map((c) => c.fileName)).toEqual(['f.png', 'e.png', 'd.png', 'c.png', 'a.png']);

    // Cancelling stops before the next image: what was imported stays, and says so.
    const controller = new AbortController();
    const more = await Promise.all([6, 7, 8, 9, 10, 11].map(async (seed) => new File([await syntheticImage(24, 16, seed)], `m${seed}.png`, { type: 'image/png' })));
    const cancelled = await importSources(repository, sourcesFromFiles(more), {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.phase === 'images' && p.done >= 1) controller.abort();
      },
    });
    expect(cancelled.cancelled).toBe(true);
    expect(cancelled.importedCaseIds.length).toBeGreaterThan(0);
    expect(cancelled.importedCaseIds.length).toBeLessThan(6);
    expect((await repository.countCases()).total).toBe(5 + cancelled.importedCaseIds.length);
  });

  it('rejects a mask whose size differs from its image', async () => {
    const repository = await freshRepository();
    const file = new File([await syntheticImage(20, 10, 1)], 'lesion.png', { type: 'image/png' });
    const report = await importSources(repository, [
      ...sourcesFromFiles([file]),
      { path: 'masks/lesion.png', file: pngBlob(syntheticMask(10, 20, 0)) },
    ]);
    expect(report.importedCaseIds).toHaveLength(1);
    expect(report.failures[0]!.reason).toBe('lesion.png: the mask is 10x20 but its image is 20x10.');
  });
});

describe('export', () => {
  it('reads a stored mask PNG directly to the same pixels as through a canvas', async () => {
    for (const mask of [syntheticMask(41, 29, 0), syntheticMask(1, 1, 0), syntheticMask(333, 7, 3)]) {
      const png = pngBlob(mask);
      const direct = await decodeMaskImage(png);
      expect(direct).toEqual(await decodeMaskImageOnCanvas(png));
      expect(masksEqual(direct, mask)).toBe(true);
    }
    // Any other PNG (here RGBA from a canvas) still decodes, through the browser.
    const canvas = new OffscreenCanvas(3, 2);
    const context = canvas.getContext('2d')!;
    context.fillStyle = 'white';
    context.fillRect(1, 0, 2, 1);
    expect([...(await decodeMaskImage(await canvas.convertToBlob({ type: 'image/png' }))).data]).toEqual([0, 1, 1, 0, 0, 0]);
  });

  it('exports ISIC, and re-importing the export reproduces every mask pixel for pixel', async () => {
    const repository = await freshRepository();
    const { sources, masks } = await isicFolder();
    const report = await importSources(repository, sources);
    const [first, second, third] = report.importedCaseIds as [string, string, string];
    await approve(repository, first);
    await approve(repository, second);

    // Default selection: approved cases only.
    const zipWriter = createZipWriter();
    const exported = await exportIsic(repository, zipWriter);
    expect(exported).toEqual({ exported: 2, skipped: [] });
    const zip = await zipWriter.finish();
    const entries = await readZip(zip!);
    expect([...entries.keys()].sort()).toEqual([
      'images/ISIC_0000000.png',
      'images/ISIC_0000001.png',
      'masks/ISIC_0000000_segmentation.png',
      'masks/ISIC_0000001_segmentation.png',
    ]);
    // Masks are 0/255 grayscale at full resolution.
    const exportedMask = await decodeMaskImage(new Blob([entries.get('masks/ISIC_0000001_segmentation.png')! as Uint8Array<ArrayBuffer>]));
    expect(masksEqual(exportedMask, masks.get('ISIC_0000001.png')!)).toBe(true);

    // Selected cases, including one not approved, all re-import into a fresh database.
    const all = createZipWriter();
    expect((await exportIsic(repository, all, { caseIds: [first, second, third] })).exported).toBe(3);
    const reimportSources = [...(await readZip((await all.finish())!)).entries()].map(([path, bytes]) => ({
      path,
      file: new Blob([bytes as Uint8Array<ArrayBuffer>]),
    }));
    const target = await freshRepository();
    const reimport = await importSources(target, reimportSources);
    expect(reimport.failures).toEqual([]);
    expect(reimport.masksImported).toBe(3);
    for (const caseId of [first, second, third]) {
      const original = (await repository.getCase(caseId))!;
      const copyId = await target.findCaseIdBySha256((await repository.getImage(caseId))!.sha256);
      expect(copyId, `${original.fileName} image bytes survive`).toBeDefined();
      const before = await latestMask(repository, caseId);
      const after = await latestMask(target, copyId!);
      expect(masksEqual(before, after), `${original.fileName} mask`).toBe(true);
      expect(masksEqual(after, masks.get(original.fileName)!)).toBe(true);
    }
  });

  it('writes to a folder through the File System Access API', async () => {
    const repository = await freshRepository();
    const { sources } = await isicFolder();
    const { importedCaseIds } = await importSources(repository, sources);
    const root = await navigator.storage.getDirectory();
    const folder = await root.getDirectoryHandle(`export-${crypto.randomUUID()}`, { create: true });
    const result = await exportIsic(repository, createDirectoryWriter(folder), { caseIds: importedCaseIds });
    expect(result.exported).toBe(3);
    const masksFolder = await folder.getDirectoryHandle('masks');
    const file = await (await masksFolder.getFileHandle('ISIC_0000002_segmentation.png')).getFile();
    expect((await decodeMaskImage(file)).width).toBe(30);
    await root.removeEntry(folder.name, { recursive: true });
  });

  it('skips cases without a mask and says why', async () => {
    const repository = await freshRepository();
    const { caseId } = await repository.importImage({ fileName: 'bare.png', blob: await syntheticImage(8, 8, 0), width: 8, height: 8 });
    const result = await exportIsic(repository, createZipWriter(), { caseIds: [caseId] });
    expect(result.skipped).toEqual([{ caseId, fileName: 'bare.png', reason: 'the case has no mask yet' }]);
  });

  it('exports COCO RLE that decodes to the masks, and a measurements CSV', async () => {
    const repository = await freshRepository();
    const { sources, masks } = await isicFolder();
    const { importedCaseIds } = await importSources(repository, sources);
    const empty = await repository.importImage({ fileName: 'no-lesion.png', blob: await syntheticImage(5, 4, 7), width: 5, height: 4 });
    await repository.addMaskVersion({ caseId: empty.caseId, png: pngBlob({ width: 5, height: 4, data: new Uint8Array(20) }), authorKind: 'person', author: 'Dr. Ada', area: 0 });
    const caseIds = [...importedCaseIds, empty.caseId];

    for (const rle of ['compressed', 'uncompressed'] as const) {
      const { json, report } = await exportCoco(repository, { caseIds }, { rle });
      expect(report.exported).toBe(4);
      const coco = JSON.parse(json) as CocoDataset;
      expect(coco.images.map((i) => i.file_name)).toEqual(['ISIC_0000000.png', 'ISIC_0000001.png', 'ISIC_0000002.png', 'no-lesion.png']);
      // The empty mask has an image entry and no annotation.
      expect(coco.annotations).toHaveLength(3);
      for (const annotation of coco.annotations) {
        const image = coco.images.find((i) => i.id === annotation.image_id)!;
        const expected = masks.get(image.file_name)!;
        expect(typeof annotation.segmentation.counts).toBe(rle === 'compressed' ? 'string' : 'object');
        expect(masksEqual(decodeRle(annotation.segmentation), expected)).toBe(true);
        expect(annotation.area).toBe(expected.data.reduce((n, v) => n + v, 0));
        expect(annotation.iscrowd).toBe(0);
      }
    }

    await repository.setSettings({ defaultPixelsPerMm: 10 });
    const { csv } = await exportMeasurementsCsv(
      repository,
      (mask, { pixelsPerMm }) => ({ area_mm2: pixelsPerMm ? mask.data.reduce((n, v) => n + v, 0) / pixelsPerMm ** 2 : null, note: 'ok, fine' }),
      { caseIds: [importedCaseIds[0]!] },
    );
    const [header, row] = csv.trim().split('\r\n');
    expect(header).toBe('id,file_name,patient_id,lesion_id,status,author_kind,author,mask_saved_at,area_px,pixels_per_mm,area_mm2,note');
    const area = masks.get('ISIC_0000000.png')!.data.reduce((n, v) => n + v, 0);
    expect(row).toMatch(new RegExp(`^ISIC_0000000,ISIC_0000000\\.png,,,ground-truth,ground-truth,ground truth \\(ISIC2018_Task1_Training_GroundTruth\\),[^,]+,${area},10,${area / 100},"ok, fine"$`));

    // A case's own calibration (set with the ruler in the case view) wins over the default.
    await repository.setCaseCalibration(importedCaseIds[0]!, 20);
    const calibrated = await exportMeasurementsCsv(repository, (mask, { pixelsPerMm }) => ({ area_mm2: pixelsPerMm ? mask.data.reduce((n, v) => n + v, 0) / pixelsPerMm ** 2 : null }), {
      caseIds: [importedCaseIds[0]!],
    });
    expect(calibrated.csv.trim().split('\r\n')[1]).toMatch(new RegExp(`,${area},20,${area / 400}$`));
  });
});

describe('backup', () => {
  it('round-trips the whole database and refuses to overwrite without confirmation', async () => {
    const source = await freshRepository();
    await source.setProfile({ name: 'Dr. Ada' });
    await source.setSettings({ defaultPixelsPerMm: 12.5 });
    const { sources } = await isicFolder();
    const { importedCaseIds } = await importSources(source, sources);
    const caseId = importedCaseIds[0]!;
    const probabilities = new Float32Array([0.1, 0.9, 0.5, 0.25]);
    await source.addMaskVersion({
      caseId,
      png: pngBlob(syntheticMask(41, 29, 2)),
      authorKind: 'model',
      author: 'scsonet@1.0.0',
      area: 10,
      uncertainty: 0.42,
      threshold: 0.5,
      probabilityMap: { width: 2, height: 2, data: new Blob([probabilities]) },
    });
    await source.setStatus(caseId, 'in-progress');
    await source.setStatus(caseId, 'flagged', { comment: 'hair artefact' });
    await source.setCaseCalibration(caseId, 31.25);

    const backup = await createBackup(source);
    // This computer has its own annotator and settings, but no case: nothing to confirm.
    const target = await freshRepository();
    await target.setProfile({ name: 'Dr. Local' });
    await target.setSettings({ threshold: 0.3 });
    expect(await restoreBackup(target, backup)).toEqual({ cases: 3, maskVersions: 4 });

    const before = await source.snapshot();
    const after = await target.snapshot();
    const sortById = <T extends { id?: string | number }>(rows: T[]) => [...rows].sort((a, b) => String(a.id).localeCompare(String(b.id)));
    expect(sortById(after.cases)).toEqual(sortById(before.cases));
    expect((await target.getCase(caseId))?.pixelsPerMm).toBe(31.25);
    expect(after.cases.filter((c) => c.id !== caseId).map((c) => c.pixelsPerMm)).toEqual([null, null]);
    expect(sortById(after.statusHistory)).toEqual(sortById(before.statusHistory));
    // The person at this computer stays the annotator; the backup's people stay the authors.
    expect(after.profile?.name).toBe('Dr. Local');
    expect(after.maskVersions.map((v) => v.author).sort()).toEqual(before.maskVersions.map((v) => v.author).sort());
    expect(after.statusHistory.map((h) => h.author)).toContain('Dr. Ada');
    expect(await target.getSettings()).toEqual(await source.getSettings());
    const bytes = async (blob: Blob) => [...new Uint8Array(await blob.arrayBuffer())];
    for (const image of before.images) {
      const copy = after.images.find((i) => i.caseId === image.caseId)!;
      expect(copy.sha256).toBe(image.sha256);
      expect(await bytes(copy.blob)).toEqual(await bytes(image.blob));
    }
    for (const version of before.maskVersions) {
      const copy = after.maskVersions.find((v) => v.id === version.id)!;
      expect({ ...copy, png: null, probabilityMap: null }).toEqual({ ...version, png: null, probabilityMap: null });
      expect(await bytes(copy.png)).toEqual(await bytes(version.png));
    }
    const restoredMap = after.maskVersions.find((v) => v.probabilityMap)!.probabilityMap!;
    expect([...new Float32Array(await restoredMap.data.arrayBuffer())]).toEqual([...probabilities]);
    expect(after.thumbnails).toHaveLength(3);

    // A second restore over data needs the explicit replace flag.
    const refused = await restoreBackup(target, backup).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(StorageError);
    expect((refused as StorageError).code).toBe('not-empty');
    await target.setStatus(caseId, 'in-progress');
    await restoreBackup(target, backup, { replace: true });
    expect((await target.getCase(caseId))?.status).toBe('flagged');
    expect((await target.getProfile())?.name).toBe('Dr. Local');
    // Without a local profile none is taken from the backup: the app asks for the name.
    const unnamed = await freshRepository();
    await restoreBackup(unnamed, backup);
    expect(await unnamed.getProfile()).toBeUndefined();
  });

  it('reads the manifest alone first: counts and authors at once, the blobs and masks checked after', async () => {
    const source = await freshRepository();
    await source.setProfile({ name: 'Dr. Ada' });
    const { importedCaseIds } = await importSources(source, (await isicFolder()).sources);
    await source.addMaskVersion({ caseId: importedCaseIds[0]!, png: pngBlob(syntheticMask(41, 29, 1)), authorKind: 'person', author: 'Dr. Ada', area: 5 });
    const backup = await createBackup(source);
    const inspected = await inspectBackup(backup, 'b.zip');
    expect(inspected.summary).toMatchObject({ fileName: 'b.zip', cases: 3, maskVersions: 4, authors: ['Dr. Ada'] });
    expect(inspected.summary.createdAt).toBeInstanceOf(Date);
    const progress: string[] = [];
    const snapshot = await readBackupContents(inspected, (done, total) => progress.push(`${done}/${total}`));
    expect(snapshot.cases).toHaveLength(3);
    // 3 images, 3 thumbnails and 4 masks checked, then 4 masks decoded.
    expect(progress[0]).toBe('0/14');
    expect(progress.at(-1)).toBe('14/14');
  });

  it('restores a backup written before cases carried a calibration (schema 2)', async () => {
    const source = await freshRepository();
    await source.setSettings({ defaultPixelsPerMm: 12.5 });
    const { sources } = await isicFolder();
    const { importedCaseIds } = await importSources(source, sources);
    await source.setCaseCalibration(importedCaseIds[0]!, 40);
    // Rewrite a current backup as the previous version wrote it: no pixelsPerMm, schema 2.
    const entries = await readZip(await createBackup(source));
    const manifest = JSON.parse(new TextDecoder().decode(entries.get('lesiondesk-backup.json'))) as { schemaVersion: number; cases: Record<string, unknown>[] };
    manifest.schemaVersion = 2;
    for (const record of manifest.cases) delete record.pixelsPerMm;
    const old = createZipWriter();
    await old.add('lesiondesk-backup.json', new TextEncoder().encode(JSON.stringify(manifest)));
    for (const [path, bytes] of entries) if (path !== 'lesiondesk-backup.json') await old.add(path, bytes);

    const target = await freshRepository();
    expect(await restoreBackup(target, (await old.finish())!)).toEqual({ cases: 3, maskVersions: 3 });
    const restored = await target.getCases(importedCaseIds);
    expect(restored.map((c) => c.pixelsPerMm)).toEqual([null, null, null]);
    expect((await target.getSettings()).defaultPixelsPerMm).toBe(12.5);
    // The restored cases are ordinary ones: calibrating them works.
    expect((await target.setCaseCalibration(importedCaseIds[1]!, 22)).pixelsPerMm).toBe(22);
  });

  it('says clearly when a file is not a LesionDesk backup', async () => {
    const target = await freshRepository();
    await expect(restoreBackup(target, new Blob(['hello']), { fileName: 'notes.txt' })).rejects.toThrow(
      new BackupFormatError('notes.txt is not a LesionDesk backup (it is not a zip file).'),
    );
    const otherZip = createZipWriter();
    await otherZip.add('readme.md', new TextEncoder().encode('# hi'));
    await expect(restoreBackup(target, (await otherZip.finish())!, { fileName: 'other.zip' })).rejects.toThrow(
      'other.zip is not a LesionDesk backup (it has no lesiondesk-backup.json).',
    );
    expect(await target.isEmpty()).toBe(true);
  });

  describe('refuses a malformed backup and leaves the library as it was', () => {
    type Manifest = Record<string, unknown> & {
      cases: Record<string, unknown>[];
      images: { caseId: string; blob: { path: string; size?: number; sha256?: string } }[];
      thumbnails: { caseId: string; blob: { path: string } }[];
      maskVersions: Record<string, unknown>[];
      settings: { key: string; value: unknown }[];
    };

    /** A real backup, rewritten: `edit` changes the manifest and the entries (path -> bytes). */
    async function tampered(edit: (manifest: Manifest, entries: Map<string, Uint8Array>) => unknown): Promise<Blob> {
      const source = await freshRepository();
      await source.setSettings({ defaultPixelsPerMm: 12.5 });
      await importSources(source, (await isicFolder()).sources);
      const entries = await readZip(await createBackup(source));
      const manifest = JSON.parse(new TextDecoder().decode(entries.get('lesiondesk-backup.json'))) as Manifest;
      entries.delete('lesiondesk-backup.json');
      await edit(manifest, entries);
      const zip = createZipWriter();
      for (const [path, bytes] of entries) await zip.add(path, bytes, { compress: true });
      await zip.add('lesiondesk-backup.json', new TextEncoder().encode(JSON.stringify(manifest)), { compress: true });
      return (await zip.finish())!;
    }

    /** Restores into a library that already holds a case (with replace), expecting refusal. */
    async function expectRefused(backup: Blob, message: RegExp): Promise<void> {
      const target = await freshRepository();
      const { importedCaseIds } = await importSources(target, (await isicFolder()).sources.slice(0, 1));
      const before = await target.snapshot();
      await expect(restoreBackup(target, backup, { replace: true, fileName: 'bad.zip' })).rejects.toThrow(message);
      const after = await target.snapshot();
      expect(after.cases.map((c) => c.id)).toEqual(before.cases.map((c) => c.id));
      expect(after.cases.map((c) => c.id)).toEqual(importedCaseIds.slice(0, after.cases.length));
      expect(after.settings).toEqual(before.settings);
    }

    it('a setting out of range', async () => {
      const backup = await tampered((m) => m.settings.push({ key: 'threshold', value: 5 }));
      await expectRefused(backup, /^bad\.zip is a damaged LesionDesk backup \(setting threshold is 5, .*\); nothing was restored\.$/);
    });

    it('an unknown setting, also one named like a member of every object', async () => {
      await expectRefused(await tampered((m) => m.settings.push({ key: 'evil', value: 1 })), /its settings hold an unknown key "evil"/);
      for (const key of ['constructor', '__proto__', 'toString']) {
        await expectRefused(await tampered((m) => m.settings.push({ key, value: 1 })), new RegExp(`^bad\\.zip is a damaged LesionDesk backup \\(its settings hold an unknown key "${key}"\\)`));
      }
    });

    /** Replace a mask version's PNG with other bytes, its size and checksum updated to match. */
    async function withMask(bytes: Uint8Array): Promise<Blob> {
      return tampered(async (m, entries) => {
        // The version of ISIC_0000000, whose image is 41 x 29.
        const caseId = m.cases.find((c) => c.width === 41)!.id;
        const ref = m.maskVersions.find((v) => v.caseId === caseId)!['png'] as { path: string; size: number; sha256: string };
        entries.set(ref.path, bytes);
        const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
        Object.assign(ref, { size: bytes.length, sha256: [...digest].map((b) => b.toString(16).padStart(2, '0')).join('') });
      });
    }

    it('a mask that is not a PNG, does not decode, or has another size than its image', async () => {
      const canvas = new OffscreenCanvas(41, 29);
      canvas.getContext('2d')!.fillRect(0, 0, 41, 29);
      const jpeg = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/jpeg' })).arrayBuffer());
      await expectRefused(await withMask(jpeg), /the mask of version [0-9a-f-]+ \(ISIC_0000000\.png\) is not a PNG\); nothing was restored\.$/);
      const truncated = encodeMaskPng(syntheticMask(41, 29, 0)).slice(0, 60);
      await expectRefused(await withMask(truncated), /the mask of version [0-9a-f-]+ \(ISIC_0000000\.png\) cannot be decoded/);
      await expectRefused(await withMask(encodeMaskPng(syntheticMask(30, 30, 0))), /is 30 x 30, its image 41 x 29/);
    });

    it('absurd sizes and dates', async () => {
      const huge = await tampered((m) => {
        Object.assign(m.cases[0]!, { width: 1e9 });
      });
      await expectRefused(huge, /cases\.0\.width: is more than 32767 pixels/);
      const tooManyPixels = await tampered((m) => {
        Object.assign(m.cases[0]!, { width: 30_000, height: 30_000 });
        Object.assign(m.images.find((i) => i.caseId === m.cases[0]!.id)!, { width: 30_000, height: 30_000 });
      });
      await expectRefused(tooManyPixels, /is 30000 x 30000 pixels, more than LesionDesk can open/);
      const wrongImageSize = await tampered((m) => Object.assign(m.images[0]!, { width: 7 }));
      await expectRefused(wrongImageSize, /the image of case [0-9a-f-]+ is 7 x \d+, its case says/);
      await expectRefused(await tampered((m) => Object.assign(m.cases[0]!, { createdAt: 1e300 })), /cases\.0\.createdAt: is a date after 2100/);
      await expectRefused(await tampered((m) => Object.assign(m.maskVersions[0]!, { createdAt: -5 })), /maskVersions\.0\.createdAt: is a date before 2000/);
      await expectRefused(await tampered((m) => Object.assign(m.maskVersions[0]!, { area: 1e12 })), /has an area of 1000000000000 pixels, more than its image holds/);
    });

    it('a case without an image', async () => {
      const backup = await tampered((m, entries) => {
        const gone = m.images.shift()!;
        entries.delete(gone.blob.path);
      });
      await expectRefused(backup, /case [0-9a-f-]+ \(.+\) has no image/);
    });

    it('a case id that would become a path', async () => {
      const backup = await tampered((m) => {
        const old = m.cases[0]!.id as string;
        m.cases[0]!.id = '../../evil';
        for (const row of [...m.images, ...m.thumbnails, ...m.maskVersions] as { caseId: string }[]) if (row.caseId === old) row.caseId = '../../evil';
      });
      await expectRefused(backup, /cases\.0\.id: must be a plain identifier/);
    });

    it('a blob that does not match its checksum or size', async () => {
      const flipped = await tampered((m, entries) => {
        const path = m.images[0]!.blob.path;
        const bytes = entries.get(path)!.slice();
        bytes[bytes.length - 3] ^= 0xff;
        entries.set(path, bytes);
      });
      await expectRefused(flipped, /blobs\/images\/[0-9a-f-]+ does not match its checksum/);
      const shorter = await tampered((m, entries) => {
        const path = m.images[0]!.blob.path;
        entries.set(path, entries.get(path)!.slice(0, 100));
      });
      await expectRefused(shorter, /is 100 bytes, the manifest says \d+/);
      // A backup from before blobs carried checksums: the image's own sha256 still guards it.
      const legacy = await tampered((m, entries) => {
        const image = m.images[0]!;
        delete image.blob.size;
        delete image.blob.sha256;
        const bytes = entries.get(image.blob.path)!.slice();
        bytes[bytes.length - 3] ^= 0xff;
        entries.set(image.blob.path, bytes);
      });
      await expectRefused(legacy, /the image of case [0-9a-f-]+ does not match its checksum/);
    });

    it('an entry that would inflate past its cap', async () => {
      const backup = await tampered((m, entries) => {
        const thumb = m.thumbnails[0]!;
        const big = new Uint8Array(9 * 2 ** 20); // zeros: tiny compressed, 9 MB inflated
        entries.set(thumb.blob.path, big);
        Object.assign(thumb.blob, { size: big.length });
      });
      await expectRefused(backup, /blobs\/thumbnails\/[0-9a-f-]+ would inflate to 9 MB, above its limit of 8 MB/);
    });

    it('restores a valid backup that carries an extra entry it does not reference (left uninflated)', async () => {
      const backup = await tampered((_m, entries) => entries.set('padding/huge.bin', new Uint8Array(64 * 2 ** 20)));
      const target = await freshRepository();
      expect(await restoreBackup(target, backup)).toEqual({ cases: 3, maskVersions: 3 });
    });
  });
});
