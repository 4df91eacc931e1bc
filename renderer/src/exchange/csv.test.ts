import { describe, expect, it } from 'vitest';
import { csvCell, toCsv } from './csv.ts';

describe('CSV', () => {
  it('quotes only where needed and keeps numbers as numbers', () => {
    expect(toCsv(['id', 'area'], [['a,b', 12.5], ['say "hi"', -3], ['plain', null]])).toBe(
      'id,area\r\n"a,b",12.5\r\n"say ""hi""",-3\r\nplain,\r\n',
    );
  });

  it('defuses text that a spreadsheet would run as a formula', () => {
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvCell('-1')).toBe("'-1");
    expect(csvCell(Number.NaN)).toBe('');
  });
});
