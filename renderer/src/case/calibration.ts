/**
 * Calibration: how many image pixels make one millimetre. A case may carry its own (typed or set
 * with the two-point ruler; stored in the case record); otherwise the default from the settings
 * applies; otherwise lengths and areas are shown in pixels only.
 */
import type { CaseRepository } from '../storage/index.ts';

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

/** Where LesionDesk kept per-case calibrations before schema version 3: localStorage, this prefix + case id. */
export const legacyCalibrationKeyPrefix = 'lesiondesk.calibration.';

/** The part of Web Storage the move needs. */
export type LegacyCalibrationStorage = Pick<Storage, 'length' | 'key' | 'getItem' | 'removeItem'>;

/**
 * Moves the per-case calibrations older versions kept in Web Storage into the case database
 * (CaseRecord.pixelsPerMm), then removes them from Web Storage. Run at start, before a case
 * opens; with nothing left to move it only scans the keys. A case that already has a calibration
 * in the database keeps it; values of deleted cases and unreadable values are dropped. When the
 * database write fails nothing is removed, so the next start tries again.
 */
export async function moveWebStorageCalibrations(
  storage: LegacyCalibrationStorage,
  repository: Pick<CaseRepository, 'adoptCaseCalibrations'>,
): Promise<{ adopted: number; dropped: number }> {
  const keys: string[] = [];
  for (let i = 0; i < storage.length; i++) {
    const key = storage.key(i);
    if (key?.startsWith(legacyCalibrationKeyPrefix) && key.length > legacyCalibrationKeyPrefix.length) keys.push(key);
  }
  if (!keys.length) return { adopted: 0, dropped: 0 };
  const values = new Map<string, number>();
  for (const key of keys) {
    const value = Number(storage.getItem(key));
    if (valid(value)) values.set(key.slice(legacyCalibrationKeyPrefix.length), value);
  }
  const { adopted } = values.size ? await repository.adoptCaseCalibrations(values) : { adopted: 0 };
  for (const key of keys) storage.removeItem(key);
  return { adopted, dropped: keys.length - adopted };
}

/** Parses a millimetre length typed by the user ("10", "2,5"); null when it is not a positive number. */
export function parseMillimetres(text: string): number | null {
  const value = Number(text.trim().replace(',', '.'));
  return text.trim() !== '' && valid(value) ? value : null;
}
