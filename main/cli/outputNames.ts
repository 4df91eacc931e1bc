/**
 * Output names of `lesiondesk segment`: one stem per input, unique within the run (compared
 * case-insensitively, as Windows and macOS file systems do), and a check that nothing existing
 * would be overwritten. Kept apart from the command so the rules are unit-tested.
 */
import path from 'node:path';

/** Suffixes `segment` writes after a stem. */
export const outputSuffixes = { mask: '_segmentation.png', overlay: '_overlay.jpg' } as const;

/**
 * A stem per input. Every input first claims its own name (`a-2.jpg` -> `a-2`, the first of
 * several `a.*` -> `a`); only then do the others get the name plus their extension (`a.png`
 * beside `a.jpg` -> `a_png`), numbered if that is taken too (`a_png_2`). Two passes, because a
 * derived name handed out first could otherwise take a later input's own name (the old `-2`
 * suffix did exactly that to a real `a-2.jpg`). No output may land on another input's output
 * or on an input file itself (an input may be called `<stem>_segmentation.png`). `outDir` and
 * `inputPaths` (the inputs' real paths, in the order of `files`) should be resolved, so that a
 * linked folder is seen to be the folder it links to.
 */
export function uniqueOutputStems(files: readonly string[], outDir: string, withOverlay: boolean, inputPaths: readonly string[] = files): string[] {
  const key = (p: string) => path.resolve(p).toLowerCase();
  const inputs = new Set(inputPaths.map(key));
  const taken = new Set<string>();
  const outputsOf = (stem: string) => [outputSuffixes.mask, ...(withOverlay ? [outputSuffixes.overlay] : [])].map((s) => key(path.join(outDir, `${stem}${s}`)));
  const free = (stem: string) => outputsOf(stem).every((p) => !inputs.has(p) && !taken.has(p));
  const claim = (stem: string) => {
    for (const p of outputsOf(stem)) taken.add(p);
    return stem;
  };
  const stems: (string | null)[] = files.map((file) => {
    const own = path.basename(file, path.extname(file));
    return free(own) ? claim(own) : null;
  });
  return stems.map((stem, i) => {
    if (stem !== null) return stem;
    const ext = path.extname(files[i]);
    const derived = `${path.basename(files[i], ext)}_${ext ? ext.slice(1) : 'file'}`;
    let candidate = derived;
    for (let n = 2; !free(candidate); n++) candidate = `${derived}_${n}`;
    return claim(candidate);
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
