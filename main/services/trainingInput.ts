/**
 * A job's input folder: each approved case's image at the model's input size (decoded and
 * resized exactly as inference does, so the network trains on what it will see) and its final
 * mask at the same size, plus manifest.json (case ids, mask version ids, split), the file
 * the Python trainer reads. Pairs arrive one chunk at a time and are written at once, so
 * memory stays bounded by one chunk however large the job.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import { z } from 'zod';
import { splitOfDigest, type Split } from '../../preload/api.js';
import { decodeForModel, DEFAULT_LIMITS, type DecodeLimits } from './imaging.js';
import { errorMessage, TrainingJobError } from './errors.js';
import { writeFileAtomic } from './modelStore.js';

/** One case in a job manifest (models/scsonet/finetune.py reads the same format). */
export const ManifestCase = z.object({
  /** File stem under images/ and masks/. */
  id: z.string(),
  caseId: z.string(),
  maskVersionId: z.string(),
  split: z.enum(['train', 'validation']),
  /** Approved unchanged: the mask is the model's prediction as it was (the gate's second part). */
  unchanged: z.boolean().optional(),
});
export type ManifestCase = z.infer<typeof ManifestCase>;

export const JobManifest = z.object({
  format: z.literal('lesiondesk-finetune-job/1'),
  jobId: z.string(),
  base: z.string(),
  created: z.string(),
  cases: z.array(ManifestCase),
});
export type JobManifest = z.infer<typeof JobManifest>;

/** One pair to add: the encoded image as imported and the final mask as a PNG. */
export interface InputPair {
  caseId: string;
  maskVersionId: string;
  image: Uint8Array;
  imageName: string;
  maskPng: Uint8Array;
  unchanged?: boolean;
  /** The side the library recorded for the case; absent: decided by the image's bytes. */
  split?: Split;
}

/**
 * The file stem a case id asks for: the id itself when it is a safe name, else a readable
 * prefix plus a hash (ids are opaque and may hold `/`, `..` or characters a file system
 * refuses). Not safe either: a name the trainer reads as something else (`x_segmentation` is
 * a mask of `x`, `x_superpixels` is ignored) and a device name Windows reserves (`CON`). Two
 * ids can still ask for one stem (`IMG_1` and `img_1` on a case-insensitive disk, or an id
 * that is another id's prefixed name): JobInput makes stems unique per job.
 */
export function fileStemOf(caseId: string): string {
  const safe =
    /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(caseId) &&
    !caseId.includes('..') &&
    !/(_segmentation|_superpixels)$/.test(caseId) &&
    !/^(con|prn|aux|nul|com\d|lpt\d)(\.|$)/i.test(caseId);
  if (safe) return caseId;
  const readable = caseId.replace(/[^A-Za-z0-9_-]+/g, '_').replace(/^_+/, '').slice(0, 40);
  const hash = createHash('sha256').update(caseId, 'utf8').digest('hex').slice(0, 16);
  return `${readable || 'case'}-${hash}`;
}

/** Writes pairs into a job's input folder and keeps its manifest current. */
export class JobInput {
  readonly imagesDir: string;
  readonly masksDir: string;
  readonly manifestPath: string;
  private readonly cases = new Map<string, ManifestCase>();
  /** Stems in use, lower-cased: file names must differ on case-insensitive disks too. */
  private readonly stems = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();
  /**
   * Sides earlier jobs recorded for case ids (their manifests): a pair sent without a side (the
   * CLI's folders) keeps the side it had, so a case judged under the rule before issue 17 (by
   * its id) never trains a later job. Set by the runner.
   */
  pastSides: ReadonlyMap<string, Split> = new Map();

  private constructor(
    readonly dir: string,
    private readonly manifest: Omit<JobManifest, 'cases'>,
    private readonly size: { width: number; height: number },
    private readonly limits: DecodeLimits,
  ) {
    this.imagesDir = path.join(dir, 'images');
    this.masksDir = path.join(dir, 'masks');
    this.manifestPath = path.join(dir, 'manifest.json');
  }

  /** Creates (or reopens) a job input folder. */
  static async open(
    dir: string,
    manifest: Omit<JobManifest, 'cases' | 'format'>,
    size: { width: number; height: number },
    limits: DecodeLimits = DEFAULT_LIMITS,
  ): Promise<JobInput> {
    const input = new JobInput(dir, { format: 'lesiondesk-finetune-job/1', ...manifest }, size, limits);
    await mkdir(input.imagesDir, { recursive: true });
    await mkdir(input.masksDir, { recursive: true });
    if (existsSync(input.manifestPath)) {
      const existing = JobManifest.parse(JSON.parse(await readFile(input.manifestPath, 'utf8')));
      for (const c of existing.cases) {
        input.cases.set(c.caseId, c);
        input.stems.add(c.id.toLowerCase());
      }
    } else {
      await input.writeManifest();
    }
    return input;
  }

  /** Cases so far, by split. */
  counts(): { received: number; train: number; validation: number } {
    let validation = 0;
    for (const c of this.cases.values()) if (c.split === 'validation') validation++;
    return { received: this.cases.size, train: this.cases.size - validation, validation };
  }

  list(): ManifestCase[] {
    return [...this.cases.values()];
  }

  private async writeManifest(): Promise<void> {
    const full: JobManifest = { ...this.manifest, cases: [...this.cases.values()] };
    await writeFileAtomic(this.manifestPath, `${JSON.stringify(full, null, 2)}\n`);
  }

  /**
   * Adds pairs (serialised, so concurrent chunks cannot interleave manifest writes). A pair
   * that cannot be used fails the whole call with a sentence naming its case; pairs written
   * before it in the same call stay (the caller may retry the rest).
   */
  add(pairs: InputPair[]): Promise<{ received: number; train: number; validation: number }> {
    const task = async () => {
      for (const pair of pairs) await this.addOne(pair);
      await this.writeManifest();
      return this.counts();
    };
    const run = this.queue.then(task, task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async addOne(pair: InputPair): Promise<void> {
    if (this.cases.has(pair.caseId)) throw new TrainingJobError(`case ${pair.caseId} was sent twice to this job`);
    // Unique by construction: a stem already given in this job gets a number. The manifest
    // maps each stem back to its case id, so evidence and reports still name the case.
    const wanted = fileStemOf(pair.caseId);
    let id = wanted;
    for (let n = 2; this.stems.has(id.toLowerCase()); n++) id = `${wanted}-${n}`;
    const { width, height } = this.size;
    let decoded;
    try {
      decoded = await decodeForModel({ bytes: pair.image, name: pair.imageName }, width, height, this.limits);
    } catch (error) {
      throw new TrainingJobError(`case ${pair.caseId}: ${errorMessage(error)}`, { cause: error });
    }
    let mask: Buffer;
    try {
      const meta = await sharp(pair.maskPng, { limitInputPixels: this.limits.maxPixels }).metadata();
      if (meta.width !== decoded.width || meta.height !== decoded.height) {
        throw new Error(`the mask is ${meta.width}x${meta.height} but the image is ${decoded.width}x${decoded.height}`);
      }
      // Area-average to model size, then threshold at half: the mask shrinks like the image
      // (a 1-pixel border does not vanish or grow by a nearest-neighbour choice).
      const grey = await sharp(pair.maskPng, { limitInputPixels: this.limits.maxPixels })
        .greyscale()
        .resize(width, height, { fit: 'fill', kernel: 'linear' })
        .raw()
        .toBuffer();
      for (let i = 0; i < grey.length; i++) grey[i] = grey[i]! >= 128 ? 255 : 0;
      mask = grey;
    } catch (error) {
      throw new TrainingJobError(`case ${pair.caseId}: the mask is not usable (${errorMessage(error).split('\n')[0]})`, { cause: error });
    }
    await sharp(Buffer.from(decoded.rgb), { raw: { width, height, channels: 3 } }).png().toFile(path.join(this.imagesDir, `${id}.png`));
    await sharp(mask, { raw: { width, height, channels: 1 } }).toColourspace('b-w').png().toFile(path.join(this.masksDir, `${id}.png`));
    // The library's recorded side, else an earlier job's, else the image's content decides (preload/split.ts).
    const split = pair.split ?? this.pastSides.get(pair.caseId) ?? splitOfDigest(createHash('sha256').update(pair.image).digest('hex'));
    this.cases.set(pair.caseId, { id, caseId: pair.caseId, maskVersionId: pair.maskVersionId, split, unchanged: pair.unchanged === true });
    this.stems.add(id.toLowerCase());
  }
}

const IMAGE_NAME = /\.(jpe?g|png|tiff?|bmp|webp)$/i;
const MASK_SUFFIX = '_segmentation';

/** One image of a folder with its mask, not yet read. */
export interface FolderPair {
  /** The image's stem: the case id (the image's bytes decide its split). */
  caseId: string;
  imagePath: string;
  maskPath: string;
}

/**
 * The image files directly in a folder (hidden files skipped), sorted. Only regular files (and
 * links to them) are taken: a folder, pipe, device or broken link named like an image is
 * reported in `skipped` rather than read, so one such entry cannot stop a whole job.
 */
async function imageFiles(dir: string, what: 'image' | 'mask'): Promise<{ names: string[]; skipped: string[] }> {
  const names: string[] = [];
  const skipped: string[] = [];
  const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => IMAGE_NAME.test(e.name) && !e.name.startsWith('.'));
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const info = entry.isSymbolicLink() ? await stat(path.join(dir, entry.name)).catch(() => null) : entry;
    if (info?.isFile()) names.push(entry.name);
    else if (info?.isDirectory()) skipped.push(`${entry.name} in ${dir}: a folder, not ${what === 'image' ? 'an image' : 'a mask'} file; skipped`);
    else skipped.push(`${entry.name} in ${dir}: not a regular file (a broken link, a pipe or a device); skipped`);
  }
  return { names, skipped };
}

/**
 * Pairs a folder of images with a folder of masks (`<stem>.png` or `<stem>_segmentation.png`),
 * as `lesiondesk finetune` reads them. What cannot be paired is listed in `skipped` with why:
 * entries that are not files, images without a mask, and names that do not say which mask is
 * whose (two images with one stem, such as IMG_0001.jpg and IMG_0001.png; two masks for one).
 */
export async function folderPairs(imagesDir: string, masksDir: string): Promise<{ pairs: FolderPair[]; skipped: string[] }> {
  const masks = await imageFiles(masksDir, 'mask');
  const images = await imageFiles(imagesDir, 'image');
  const skipped = [...masks.skipped, ...images.skipped];
  const masksByStem = new Map<string, string[]>();
  for (const name of masks.names) {
    const stem = name.replace(/\.[^.]+$/, '');
    const key = stem.endsWith(MASK_SUFFIX) ? stem.slice(0, -MASK_SUFFIX.length) : stem;
    masksByStem.set(key, [...(masksByStem.get(key) ?? []), name]);
  }
  const imagesByStem = new Map<string, string[]>();
  for (const name of images.names) {
    const stem = name.replace(/\.[^.]+$/, '');
    if (!stem.endsWith('_superpixels')) imagesByStem.set(stem, [...(imagesByStem.get(stem) ?? []), name]);
  }
  const pairs: FolderPair[] = [];
  for (const [stem, names] of imagesByStem) {
    const found = masksByStem.get(stem) ?? [];
    if (names.length > 1) {
      skipped.push(`${names.join(', ')}: these images share the name ${stem}, so no mask can say which one it belongs to; rename all but one (skipped)`);
    } else if (found.length === 0) {
      skipped.push(`${names[0]}: no mask named ${stem}.png or ${stem}${MASK_SUFFIX}.png in ${masksDir}`);
    } else if (found.length > 1) {
      skipped.push(`${names[0]}: two masks in ${masksDir} could be its mask (${found.join(', ')}); keep one (skipped)`);
    } else {
      pairs.push({ caseId: stem, imagePath: path.join(imagesDir, names[0]!), maskPath: path.join(masksDir, found[0]!) });
    }
  }
  return { pairs, skipped };
}

/** Reads a folder pair's files; TrainingJobError naming the file when one cannot be read. */
export async function readFolderPair(pair: FolderPair): Promise<InputPair> {
  const read = (file: string) =>
    readFile(file).catch((error: unknown) => {
      throw new TrainingJobError(`${path.basename(file)}: could not be read (${(error as NodeJS.ErrnoException).code ?? errorMessage(error)}); skipped`, { cause: error });
    });
  const [image, maskPng] = [await read(pair.imagePath), await read(pair.maskPath)];
  const maskName = path.basename(pair.maskPath);
  const maskHash = createHash('sha256').update(maskPng).digest('hex').slice(0, 16);
  return { caseId: pair.caseId, maskVersionId: `file:${maskName}#${maskHash}`, image, imageName: path.basename(pair.imagePath), maskPng };
}

/** The side each case had in the given job input folders (their manifests; unreadable ones are skipped). */
export async function recordedSides(inputDirs: readonly string[]): Promise<Map<string, Split>> {
  const sides = new Map<string, Split>();
  for (const dir of inputDirs) {
    try {
      const manifest = JobManifest.parse(JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')));
      for (const c of manifest.cases) sides.set(c.caseId, c.split);
    } catch {
      // A damaged or missing manifest: those cases follow their images.
    }
  }
  return sides;
}
