import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { csvCell, overwriteRefusal, plannedOutputs, uniqueOutputStems } from './outputNames.js';

const out = '/data/out';

describe('segment output names', () => {
  it('gives same-named inputs distinct stems without colliding with a real name', () => {
    const files = ['/in/a.jpg', '/in/a.png', '/in/a-2.jpg', '/in/sub/a.jpg'];
    const stems = uniqueOutputStems(files, out, false);
    expect(stems).toEqual(['a', 'a_png', 'a-2', 'a_jpg']);
    expect(new Set(plannedOutputs(stems, out, true)).size).toBe(4 * 2 + 1);
  });

  it('lets every input keep its own name before handing out derived ones, whatever the order', () => {
    // a.png's derived name would be a_png, which is a later input's own name.
    expect(uniqueOutputStems(['/in/a.jpg', '/in/a.png', '/in/a_png.jpg'], out, false)).toEqual(['a', 'a_png_2', 'a_png']);
    // The case, in the order a folder walk yields it: 4 inputs, 4 distinct masks.
    const files = ['/in/a-2.jpg', '/in/a.jpg', '/in/a.png', '/in/a-2.png'];
    const stems = uniqueOutputStems(files, out, true);
    expect(stems).toEqual(['a-2', 'a', 'a_png', 'a-2_png']);
    expect(new Set(plannedOutputs(stems, out, true).map((p) => p.toLowerCase())).size).toBe(4 * 2 + 1);
  });

  it('compares case-insensitively and numbers further clashes', () => {
    expect(uniqueOutputStems(['/in/A.jpg', '/in/a.JPG', '/x/a.jpg', '/y/a.jpg'], out, true)).toEqual(['A', 'a_JPG', 'a_jpg_2', 'a_jpg_3']);
  });

  it('never names an output like an input file (an input called <stem>_segmentation.png)', () => {
    const files = [path.join(out, 'x_segmentation.png'), path.join(out, 'x.jpg')];
    const stems = uniqueOutputStems(files, out, false);
    expect(stems[1]).not.toBe('x');
    const written = plannedOutputs(stems, out, false).map((p) => p.toLowerCase());
    for (const f of files) expect(written).not.toContain(f.toLowerCase());
  });

  it('refuses to overwrite existing files with a sentence that says what to do', () => {
    expect(overwriteRefusal([], out)).toBeNull();
    expect(overwriteRefusal(['/data/out/ISIC_1_segmentation.png'], out)).toBe(
      '1 output file already exists in /data/out (ISIC_1_segmentation.png); nothing was written. Use --overwrite to replace them, or choose another --out (ISIC ground truth is named <id>_segmentation.png too).',
    );
    expect(overwriteRefusal(['/o/a', '/o/b', '/o/c', '/o/d', '/o/e'], '/o')).toMatch(/^5 output files already exist in \/o \(a, b, c, and 2 more\)/);
  });
});

describe('CSV cells', () => {
  it('defuses formula-like text and quotes separators', () => {
    expect(csvCell('=HYPERLINK("http://x")')).toBe('"\'=HYPERLINK(""http://x"")"');
    expect(csvCell('+1.jpg')).toBe("'+1.jpg");
    expect(csvCell('-2.jpg')).toBe("'-2.jpg");
    expect(csvCell('@sum.jpg')).toBe("'@sum.jpg");
    expect(csvCell('\tx.jpg')).toBe("'\tx.jpg");
    expect(csvCell('\rx.jpg')).toBe('"\'\rx.jpg"');
    expect(csvCell('-2.jpg,=1+1')).toBe('"\'-2.jpg,=1+1"');
    // Only the start of a cell is read as a formula by spreadsheets.
    expect(csvCell('/in/=a+b@c.jpg')).toBe('/in/=a+b@c.jpg');
    expect(csvCell('/images/a,b.jpg')).toBe('"/images/a,b.jpg"');
    expect(csvCell('/images/a.jpg')).toBe('/images/a.jpg');
  });
});
