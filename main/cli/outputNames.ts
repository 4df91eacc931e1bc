/**
 * Output names of `lesiondesk segment`: one stem per input, unique within the run (compared
 * case-insensitively, as Windows and macOS file systems do), and a check that nothing existing
 * would be overwritten. Kept apart from the command so the rules are unit-tested.
 */
import path from 'node:path';

/** Suffixes `segment` writes after a stem. */
export const outputSuffixes = { mask: '_segmentation.png', overlay: '_overlay.jpg' } as const;

/**
 * A stem per input: the file's own name when free, else the name plus its extension
 * (`a.png` beside `a.jpg` becomes `a_png`), else numbered (`a_png_2`). A stem is free when no
 * output it produces collides with another input's outputs or with an input file itself.
 */
export function uniqueOutputStems(files: readonly string[], outDir: string, withOverlay: boolean): string[] {
  const key = (p: string) => path.resolve(p).toLowerCase();
  const taken = new Set(files.map(key));
  const outputsOf = (stem: string) => [outputSuffixes.mask, ...(withOverlay ? [outputSuffixes.overlay] : [])].map((s) => key(path.join(outDir, `${stem}${s}`)));
  const free = (stem: string) => outputsOf(stem).every((p) => !taken.has(p));
  return files.map((file) => {
    const ext = path.extname(file);
    const base = path.basename(file, ext);
    const withExt = ext ? `${base}_${ext.slice(1)}` : `${base}_file`;
    let stem = free(base) ? base : withExt;
    for (let n = 2; !free(stem); n++) stem = `${withExt}_${n}`;
    for (const p of outputsOf(stem)) taken.add(p);
    return stem;
  });
}

/** Every path the run would write. */
export function plannedOutputs(stems: readonly string[], outDir: string, withOverlay: boolean, summaryName = 'summary.csv'): string[] {
  const paths = stems.flatMap((stem) => [`${stem}${outputSuffixes.mask}`, ...(withOverlay ? [`${stem}${outputSuffixes.overlay}`] : [])]);
  return [...paths, summaryName].map((name) => path.join(outDir, name));
}

/** The sentence refusing to overwrite existing files, or null when none exists. */
export function overwriteRefusal(existing: readonly string[], outDir: string): string | null {
  if (existing.length === 0) return null;
  const shown = existing.slice(0, 3).map((p) => path.basename(p)).join(', ');
  const more = existing.length > 3 ? `, and ${existing.length - 3} more` : '';
  return (
    `${existing.length} output file${existing.length === 1 ? '' : 's'} already exist${existing.length === 1 ? 's' : ''} in ${outDir} (${shown}${more}); nothing was written. ` +
    'Use --overwrite to replace them, or choose another --out (ISIC ground truth is named <id>_segmentation.png too).'
  );
}

/**
 * One CSV cell: quoted when needed, and defused when a spreadsheet would run it as a formula
 * (OWASP "CSV injection": a leading = + - @, tab or carriage return gets a leading apostrophe).
 */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
