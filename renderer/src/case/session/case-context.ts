/**
 * What the parts of a case session share: the editor document, the mask analyser (a worker), the
 * stage once it is up, the messages and the case record. The session is the one context; each
 * part (calibration, prediction view, display, and the next tool's state) reads it rather than
 * keeping a copy, and a unit test hands a part a plain object instead.
 */
import type { EditorDocument } from '../../editor/index.ts';
import type { MaskAnalyser } from '../mask-analysis.ts';
import type { CaseMessages } from './case-messages.svelte.ts';
import type { CaseRecordState } from './case-record.svelte.ts';
import type { CaseStage } from './case-stage.ts';

export interface CaseContext {
  readonly caseId: string;
  /** The mask being edited, once the case is open. */
  readonly editor: EditorDocument | null;
  /** Outlines and measurements off the main thread, once the image is read. */
  readonly analyser: Pick<MaskAnalyser, 'outline' | 'measure'> | null;
  /** The stage that draws the case, while it is on screen. */
  readonly stage: CaseStage | null;
  readonly messages: CaseMessages;
  readonly facts: CaseRecordState;
  /** The image's size in pixels (0 x 0 until read). */
  readonly size: { readonly width: number; readonly height: number };
}
