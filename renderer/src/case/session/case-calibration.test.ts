import { describe, expect, it, vi } from 'vitest';
import { CaseCalibration, type CalibrationRepository } from './case-calibration.svelte.ts';
import { CaseMessages } from './case-messages.svelte.ts';
import type { CaseStage } from './case-stage.ts';

function setup(repository: Partial<CalibrationRepository> = {}) {
  const stage = { startRuler: vi.fn(), stopRuler: vi.fn() };
  const messages = new CaseMessages();
  const stored = { caseValue: null as number | null, defaultValue: null as number | null };
  const fake: CalibrationRepository = {
    setCaseCalibration: vi.fn(async (_id: string, value: number | null) => {
      stored.caseValue = value;
      return { pixelsPerMm: value } as Awaited<ReturnType<CalibrationRepository['setCaseCalibration']>>;
    }),
    setSettings: vi.fn(async (changes) => {
      stored.defaultValue = changes.defaultPixelsPerMm ?? null;
      return { defaultPixelsPerMm: stored.defaultValue } as Awaited<ReturnType<CalibrationRepository['setSettings']>>;
    }),
    ...repository,
  };
  const changed = vi.fn();
  const calibration = new CaseCalibration({ caseId: 'c', stage: stage as unknown as CaseStage, messages }, fake, changed);
  return { calibration, stage, messages, stored, changed, fake };
}

describe('CaseCalibration', () => {
  it('the case value wins over the default; with neither, lengths stay in pixels', () => {
    const { calibration } = setup();
    expect(calibration.current).toEqual({ pixelsPerMm: null, source: 'none' });
    calibration.load(null, 4);
    expect(calibration.current).toEqual({ pixelsPerMm: 4, source: 'default' });
    calibration.load(8, 4);
    expect(calibration.current).toEqual({ pixelsPerMm: 8, source: 'case' });
  });

  it('the ruler: two points measured, their distance in mm stored for the case, then the ruler ends', async () => {
    const { calibration, stage, stored, changed } = setup();
    calibration.startRuler();
    expect(calibration.rulerActive).toBe(true);
    expect(stage.startRuler).toHaveBeenCalledOnce();
    calibration.measured({ x: 0, y: 0 }, { x: 30, y: 40 });
    expect(calibration.rulerActive).toBe(false);
    expect(calibration.ruler?.distance).toBe(50);
    calibration.millimetres = '2,5';
    await calibration.set('case');
    expect(stored.caseValue).toBe(20);
    expect(calibration.current).toEqual({ pixelsPerMm: 20, source: 'case' });
    expect(calibration.ruler).toBeNull();
    expect(changed).toHaveBeenCalledOnce();
    expect(stage.stopRuler).toHaveBeenCalledOnce();
  });

  it('a distance that is not a positive number is refused with what to type; nothing is stored', async () => {
    const { calibration, fake, changed } = setup();
    calibration.measured({ x: 0, y: 0 }, { x: 10, y: 0 });
    calibration.millimetres = 'ten';
    await calibration.set('default');
    expect(calibration.error).toBe('Enter the distance between the two points in millimetres, e.g. 10.');
    expect(fake.setSettings).not.toHaveBeenCalled();
    expect(changed).not.toHaveBeenCalled();
    expect(calibration.ruler).not.toBeNull();
    calibration.millimetres = '5';
    await calibration.set('default');
    expect(calibration.current).toEqual({ pixelsPerMm: 2, source: 'default' });
  });

  it('a failed write says so and keeps the ruler; "use the default" that fails says so too', async () => {
    const failing = async (): Promise<never> => {
      throw new DOMException('The disk is full.', 'QuotaExceededError');
    };
    const { calibration, messages } = setup({ setCaseCalibration: failing });
    calibration.load(3, null);
    calibration.measured({ x: 0, y: 0 }, { x: 10, y: 0 });
    await calibration.set('case');
    expect(calibration.error).toBe('The calibration was not saved: The disk is full.');
    expect(calibration.ruler).not.toBeNull();
    await calibration.useDefault();
    expect(messages.problem).toBe('The calibration was not changed: The disk is full.');
    expect(calibration.caseValue).toBe(3);
  });

  it('Esc ends a ruler in progress or forgets its points; with none it is not the ruler\'s', () => {
    const { calibration, stage } = setup();
    expect(calibration.cancel()).toBe(false);
    calibration.startRuler();
    expect(calibration.cancel()).toBe(true);
    expect(stage.stopRuler).toHaveBeenCalledOnce();
    calibration.measured({ x: 0, y: 0 }, { x: 1, y: 0 });
    expect(calibration.cancel()).toBe(true);
    expect(calibration.ruler).toBeNull();
    // A ruler that is not waiting for clicks is not stopped on the stage again.
    expect(stage.stopRuler).toHaveBeenCalledOnce();
  });
});
