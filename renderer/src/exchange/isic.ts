/**
 * ISIC dataset layout: which file of an imported folder is an image, which is a mask, how they
 * pair, and how exported files are named. Pure (paths in, decisions out) so it is unit-tested
 * without a browser.
 *
 * Recognised mask layouts: `<id>_segmentation.png` anywhere (ISIC 2016-2018), any PNG inside an
 * ISIC ground-truth folder (`ISIC2018_Task1_Training_GroundTruth`,
 * `ISIC-2017_Training_Part1_GroundTruth`, ...), and `images/` + `masks/` folders.
 */

/** A file of an import: its path inside the dropped folder ('/'-separated) and its bytes. */
export interface ImportSource {
  path: string;
  file: Blob;
}

/** What an imported file is. */
export type SourceKind = 'image' | 'mask' | 'ignored';

/** Extensions the import treats as images (the browser decodes them; others are reported). */
export const imageExtensions = ['.jpg', '.jpeg', '.png', '.bmp', '.webp', '.gif', '.tif', '.tiff'] as const;

const maskSuffix = /_(segmentation|mask)$/i;
const maskFolder = /^(masks?|ground[ _-]?truths?|.*_GroundTruth|segmentations?)$/i;
// Files ISIC ships beside the images that are not images of a case.
const notCaseImage = /_superpixels$/i;

/** File name of a path. */
export function baseName(path: string): string {
  const parts = path.split('/');
  return parts[parts.length - 1] ?? path;
}

/** Lower-cased extension with its dot ('' when none). */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(dot).toLowerCase() : '';
}

/** File name without its extension. */
export function stemOf(name: string): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : name;
}

/** Classify one path of an import and give the case id it belongs to. */
export function classifyPath(path: string): { kind: SourceKind; id: string } {
  const segments = path.split('/').filter(Boolean);
  const name = segments[segments.length - 1] ?? '';
  const stem = stemOf(name);
  const ext = extensionOf(name);
  const hidden = segments.some((s) => s.startsWith('.') || s === '__MACOSX') || name === 'Thumbs.db';
  if (hidden || !(imageExtensions as readonly string[]).includes(ext) || notCaseImage.test(stem)) {
    return { kind: 'ignored', id: stem };
  }
  const inMaskFolder = segments.slice(0, -1).some((s) => maskFolder.test(s));
  if (ext === '.png' && (maskSuffix.test(stem) || inMaskFolder)) {
    return { kind: 'mask', id: stem.replace(maskSuffix, '') };
  }
  return { kind: 'image', id: stem };
}

/** An import sorted into images, masks paired with them, and what could not be used. */
export interface PairedImport {
  images: { source: ImportSource; id: string }[];
  /** Masks with the index (into `images`) of the image they belong to. */
  masks: { source: ImportSource; id: string; imageIndex: number }[];
  /** Masks without a unique image of the same id, with the reason. */
  unmatchedMasks: { source: ImportSource; reason: string }[];
  ignored: ImportSource[];
}

/** Sort an import's files and pair each mask with the image of the same id (case-insensitive). */
export function pairImportSources(sources: readonly ImportSource[]): PairedImport {
  const result: PairedImport = { images: [], masks: [], unmatchedMasks: [], ignored: [] };
  const maskSources: { source: ImportSource; id: string }[] = [];
  for (const source of sources) {
    const { kind, id } = classifyPath(source.path);
    if (kind === 'image') result.images.push({ source, id });
    else if (kind === 'mask') maskSources.push({ source, id });
    else result.ignored.push(source);
  }
  const imagesById = new Map<string, number[]>();
  result.images.forEach((image, index) => {
    const key = image.id.toLowerCase();
    imagesById.set(key, [...(imagesById.get(key) ?? []), index]);
  });
  for (const mask of maskSources) {
    const candidates = imagesById.get(mask.id.toLowerCase()) ?? [];
    if (candidates.length === 1) result.masks.push({ ...mask, imageIndex: candidates[0]! });
    else if (candidates.length === 0) result.unmatchedMasks.push({ source: mask.source, reason: `no image named ${mask.id} in the import` });
    else result.unmatchedMasks.push({ source: mask.source, reason: `${candidates.length} images are named ${mask.id}; cannot tell which one it belongs to` });
  }
  return result;
}

/**
 * Unique ISIC ids for exported cases, from their file names: the stem with characters unsafe in
 * file names replaced, and `_2`, `_3`, ... where two cases would collide (compared
 * case-insensitively, as Windows and macOS file systems do).
 */
export function isicExportIds(fileNames: readonly string[]): string[] {
  const used = new Set<string>();
  return fileNames.map((fileName) => {
    const base = stemOf(baseName(fileName)).replace(/[^A-Za-z0-9._-]/g, '_').replace(maskSuffix, '') || 'case';
    let id = base;
    for (let n = 2; used.has(id.toLowerCase()); n++) id = `${base}_${n}`;
    used.add(id.toLowerCase());
    return id;
  });
}

/** Paths of one exported case: the original image bytes and its 0/255 mask. */
export function isicExportPaths(id: string, fileName: string): { image: string; mask: string } {
  const ext = extensionOf(fileName) || '.jpg';
  return { image: `images/${id}${ext}`, mask: `masks/${id}_segmentation.png` };
}
