import { describe, expect, it } from 'vitest';
import { editAffordances, type EditState } from './edit-affordances.ts';

const editing: EditState = { locked: false, canUndo: true, canRedo: true, activeTool: 'polygon', rulerActive: false };

describe('edit affordances', () => {
  it('an editable case offers undo, redo, the tools and the tool hint', () => {
    expect(editAffordances(editing)).toEqual({ undo: true, redo: true, edit: true, hint: 'polygon' });
    expect(editAffordances({ ...editing, canRedo: false, activeTool: 'brush' })).toEqual({ undo: true, redo: false, edit: true, hint: null });
  });

  it('a locked (approved) case offers nothing that edits: no undo with a history, no tools, no polygon hint', () => {
    expect(editAffordances({ ...editing, locked: true })).toEqual({ undo: false, redo: false, edit: false, hint: null });
    // The ruler sets a calibration, not the mask: it stays, with its hint.
    expect(editAffordances({ ...editing, locked: true, rulerActive: true }).hint).toBe('ruler');
  });
});
