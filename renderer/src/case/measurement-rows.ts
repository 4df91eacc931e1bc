/**
 * The measurements panel's rows: values of the core's MaskMeasurements with units and the
 * precision a reader needs, millimetres beside pixels when the image is calibrated.
 */
import type { AbcdColour, MaskMeasurements } from '../editor/index.ts';

export interface MeasurementRow {
  readonly id: string;
  readonly label: string;
  readonly value: string;
  /** The same value in millimetres, when calibrated. */
  readonly calibrated: string | null;
  /** What the number means, for a tooltip. */
  readonly hint: string;
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function fixed(value: number, digits: number): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function mm(value: number | null, unit: string, digits = 2): string | null {
  return value === null ? null : `${fixed(value, digits)} ${unit}`;
}

/** The area row alone: it follows every edit at once, before the full set is measured. */
export function areaRow(areaPx: number, areaMm2: number | null): MeasurementRow {
  return { id: 'area', label: 'Area', value: `${integer.format(areaPx)} px`, calibrated: mm(areaMm2, 'mm²'), hint: 'Lesion pixels' };
}

/** Rows for the panel, in reading order. */
export function measurementRows(m: MaskMeasurements): MeasurementRow[] {
  return [
    areaRow(m.areaPx, m.areaMm2),
    { id: 'perimeter', label: 'Perimeter', value: `${integer.format(m.perimeterPx)} px`, calibrated: mm(m.perimeterMm, 'mm'), hint: 'Length of the outline, holes included' },
    { id: 'longest', label: 'Longest diameter', value: `${integer.format(m.longestDiameterPx)} px`, calibrated: mm(m.longestDiameterMm, 'mm'), hint: 'Maximum caliper width' },
    { id: 'shortest', label: 'Shortest diameter', value: `${integer.format(m.shortestDiameterPx)} px`, calibrated: mm(m.shortestDiameterMm, 'mm'), hint: 'Minimum caliper width' },
    { id: 'irregularity', label: 'Border irregularity', value: fixed(m.borderIrregularity, 2), calibrated: null, hint: 'P² / 4πA: 1 for a disc, larger for a ragged border' },
    { id: 'asymmetry-major', label: 'Asymmetry, major axis', value: fixed(m.asymmetry.aboutMajorAxis, 2), calibrated: null, hint: 'Unmatched share after flipping about the major axis: 0 symmetric, 2 none overlaps' },
    { id: 'asymmetry-minor', label: 'Asymmetry, minor axis', value: fixed(m.asymmetry.aboutMinorAxis, 2), calibrated: null, hint: 'The same about the minor axis' },
    { id: 'regions', label: 'Regions', value: integer.format(m.regionCount), calibrated: null, hint: '8-connected lesion components' },
  ];
}

const colourNames: Record<AbcdColour, string> = {
  white: 'White',
  red: 'Red',
  'light-brown': 'Light brown',
  'dark-brown': 'Dark brown',
  'blue-grey': 'Blue-grey',
  black: 'Black',
};

/** Swatch colours for the ABCD colour chips (representative, not the classification thresholds). */
export const colourSwatches: Record<AbcdColour, string> = {
  white: '#f2efe9',
  red: '#c8444b',
  'light-brown': '#b07a4f',
  'dark-brown': '#5b3a24',
  'blue-grey': '#6f8197',
  black: '#151515',
};

/** Human name of an ABCD colour. */
export function colourName(colour: AbcdColour): string {
  return colourNames[colour];
}

/** Share as a whole percentage, "<1%" for small non-zero shares. */
export function formatShare(fraction: number): string {
  if (fraction > 0 && fraction < 0.01) return '<1%';
  return `${Math.round(fraction * 100)}%`;
}
