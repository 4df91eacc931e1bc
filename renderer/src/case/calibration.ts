/**
 * Calibration: how many image pixels make one millimetre. A case may carry its own (set with
 * the two-point ruler); otherwise the default from the settings applies; otherwise lengths and
 * areas are shown in pixels only.
 */

export interface Calibration {
  /** Pixels per millimetre, or null when uncalibrated. */
  readonly pixelsPerMm: number | null;
  readonly source: 'case' | 'default' | 'none';
}

function valid(value: number | null | undefined): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0;
}

/** The calibration in force: the case's own, else the default, else none. */
export function resolveCalibration(caseValue: number | null | undefined, defaultValue: number | null | undefined): Calibration {
  if (valid(caseValue)) return { pixelsPerMm: caseValue, source: 'case' };
  if (valid(defaultValue)) return { pixelsPerMm: defaultValue, source: 'default' };
  return { pixelsPerMm: null, source: 'none' };
}

/** Where per-case calibrations are kept. */
export interface CaseCalibrationStore {
  get(caseId: string): number | null;
  set(caseId: string, pixelsPerMm: number | null): void;
}

const keyPrefix = 'lesiondesk.calibration.';

/**
 * Per-case calibrations in Web Storage (localStorage in the app): the case database has no
 * field for them yet, and a calibration is a viewing aid that can be measured again.
 */
export function webStorageCalibrationStore(storage: Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>): CaseCalibrationStore {
  return {
    get(caseId) {
      const value = Number(storage.getItem(keyPrefix + caseId));
      return valid(value) ? value : null;
    },
    set(caseId, pixelsPerMm) {
      if (valid(pixelsPerMm)) storage.setItem(keyPrefix + caseId, String(pixelsPerMm));
      else storage.removeItem(keyPrefix + caseId);
    },
  };
}

/** Parses a millimetre length typed by the user ("10", "2,5"); null when it is not a positive number. */
export function parseMillimetres(text: string): number | null {
  const value = Number(text.trim().replace(',', '.'));
  return text.trim() !== '' && valid(value) ? value : null;
}
