/** The browser's parts a case session uses: the image decoder, the analysis worker, the mask codecs, the interactive crop. */
import { decodeMaskImage } from '../exchange/index.ts';
import { regionCropper } from './interactive-crop.ts';
import { createMaskAnalyser } from './mask-analysis.ts';
import { encodeMaskPngBlob } from './mask-png.ts';
import type { CasePlatform } from './session/case-session.svelte.ts';

export const browserCasePlatform: CasePlatform = {
  decodeImage: (blob) => createImageBitmap(blob),
  createAnalyser: createMaskAnalyser,
  decodeMask: decodeMaskImage,
  encodePng: encodeMaskPngBlob,
  devicePixelRatio: () => window.devicePixelRatio || 1,
  regionCropper: (image) => regionCropper(image),
};
