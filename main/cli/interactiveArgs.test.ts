import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { InteractiveInputError, matchBoxes, parseBox, parseBoxesCsv, parseClick } from './interactiveArgs.ts';
import { joinClickValues, planRefine } from './refineCommand.ts';

describe('--box and --click', () => {
  it('reads boxes and clicks, and names a malformed or inverted one', () => {
    expect(parseBox('10, 20,110,220')).toEqual({ x0: 10, y0: 20, x1: 110, y1: 220 });
    expect(() => parseBox('10,20,110')).toThrow(/--box "10,20,110" must be four whole numbers/);
    expect(() => parseBox('10,20,5.5,30')).toThrow(/four whole numbers/);
    expect(() => parseBox('110,20,10,220')).toThrow(/--box "110,20,10,220" is inverted or empty/);
    expect(parseClick('+12,34')).toEqual({ x: 12, y: 34, positive: true });
    expect(parseClick('-0,7')).toEqual({ x: 0, y: 7, positive: false });
    expect(() => parseClick('12,34')).toThrow(/--click "12,34" must be \+x,y \(lesion\) or -x,y \(skin\)/);
  });

  it('keeps a skin click together with its option, where parseArgs would take it for an option', () => {
    expect(joinClickValues(['img.jpg', '--click', '-10,20', '--click', '+3,4', '--out', 'm.png'])).toEqual(['img.jpg', '--click=-10,20', '--click', '+3,4', '--out', 'm.png']);
  });

  it('refuses a box reaching outside the image, a click outside the image or the box, and nothing to do', () => {
    expect(planRefine({ x0: 0, y0: 0, x1: 100, y1: 80 }, [], null, 100, 80)).toEqual({ x0: 0, y0: 0, x1: 100, y1: 80 });
    expect(() => planRefine({ x0: 0, y0: 0, x1: 101, y1: 80 }, [], null, 100, 80)).toThrow(/--box 0,0,101,80 reaches outside the 100x80 image/);
    expect(() => planRefine(null, [{ x: 100, y: 3, positive: true }], null, 100, 80)).toThrow(/--click \+100,3 lies outside the 100x80 image/);
    expect(() => planRefine({ x0: 0, y0: 0, x1: 50, y1: 50 }, [{ x: 60, y: 3, positive: false }], null, 100, 80)).toThrow(/--click -60,3 lies outside --box 0,0,50,50/);
    expect(() => planRefine(null, [], null, 100, 80)).toThrow(InteractiveInputError);
  });
});

describe('--boxes CSV', () => {
  it('reads the header and rows (quotes allowed) and names a bad header, row or box by line', () => {
    expect(parseBoxesCsv('file,x0,y0,x1,y1\r\n"a, b.jpg",1,2,30,40\n\nc.png,0,0,8,8\n', 'boxes.csv')).toEqual([
      { file: 'a, b.jpg', box: { x0: 1, y0: 2, x1: 30, y1: 40 }, line: 2 },
      { file: 'c.png', box: { x0: 0, y0: 0, x1: 8, y1: 8 }, line: 4 },
    ]);
    expect(() => parseBoxesCsv('name,x0,y0,x1,y1\n', 'boxes.csv')).toThrow(/boxes\.csv: the first line must be the header file,x0,y0,x1,y1/);
    expect(() => parseBoxesCsv('file,x0,y0,x1,y1\na.jpg,1,2,3\n', 'boxes.csv')).toThrow(/boxes\.csv line 2: expected file,x0,y0,x1,y1/);
    expect(() => parseBoxesCsv('file,x0,y0,x1,y1\na.jpg,9,2,3,40\n', 'boxes.csv')).toThrow(/boxes\.csv line 2: box "9,2,3,40" is inverted/);
    expect(() => parseBoxesCsv('file,x0,y0,x1,y1\na.jpg,1,2,30,40\na.jpg,1,2,30,40\n', 'b.csv')).toThrow(/b\.csv line 3: a\.jpg already has a box on line 2/);
  });

  it('matches rows to inputs by path or by a file name only one input has, and names an unknown file', () => {
    const inputs = ['/data/x/a.jpg', '/data/y/a.jpg', '/data/y/b.jpg'];
    const rows = parseBoxesCsv('file,x0,y0,x1,y1\nb.jpg,0,0,10,10\nx/a.jpg,0,0,10,10\n', 'list.csv');
    const matched = matchBoxes(rows, inputs, '/data/list.csv');
    expect([...matched.keys()]).toEqual(['/data/y/b.jpg', '/data/x/a.jpg']);
    expect(() => matchBoxes(parseBoxesCsv('file,x0,y0,x1,y1\na.jpg,0,0,10,10\n', 'l.csv'), inputs, '/data/l.csv')).toThrow(/l\.csv line 2: a\.jpg names 2 inputs/);
    expect(() => matchBoxes(parseBoxesCsv('file,x0,y0,x1,y1\nz.jpg,0,0,10,10\n', 'l.csv'), inputs, path.join('/data', 'l.csv'))).toThrow(/line 2: z\.jpg is not one of the images to segment/);
  });
});
