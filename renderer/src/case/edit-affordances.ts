/**
 * Which edit controls the case view offers. An approved case is locked: nothing that would
 * change its mask is offered (undo, redo, the tools, the clean-ups, the brush, the tool hints),
 * so it does not look editable; the view, the ruler and the review stay.
 */
import type { ToolId } from '../editor/index.ts';

export interface EditState {
  readonly locked: boolean;
  readonly canUndo: boolean;
  readonly canRedo: boolean;
  readonly activeTool: ToolId;
  readonly rulerActive: boolean;
}

export interface EditAffordances {
  readonly undo: boolean;
  readonly redo: boolean;
  /** Tool buttons, clean-ups and the brush size. */
  readonly edit: boolean;
  /** The hint under the image, if any. */
  readonly hint: 'ruler' | 'polygon' | 'lasso' | 'box' | 'click' | null;
}

export function editAffordances(state: EditState): EditAffordances {
  const edit = !state.locked;
  let hint: EditAffordances['hint'] = null;
  if (state.rulerActive) hint = 'ruler';
  else if (edit && (state.activeTool === 'polygon' || state.activeTool === 'lasso' || state.activeTool === 'box' || state.activeTool === 'click')) hint = state.activeTool;
  return { undo: edit && state.canUndo, redo: edit && state.canRedo, edit, hint };
}
