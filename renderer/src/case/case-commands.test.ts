import { describe, expect, it } from 'vitest';
import { EditorDocument, editorCommands, keybindingConflicts, type EditorKeyEvent } from '../editor/index.ts';
import { caseViewCommands, type CaseViewActions, type ReviewAction } from './case-commands.ts';

function key(k: string, extra: Partial<EditorKeyEvent> = {}): EditorKeyEvent {
  return { key: k, altKey: false, shiftKey: false, ctrlKey: false, metaKey: false, ...extra };
}

const noActions: CaseViewActions = { fit() {}, actualSize() {}, zoomBy() {}, cycleViewMode() {}, startRuler() {}, review() {} };

function setup(): { doc: EditorDocument; reviewed: ReviewAction[]; calls: string[] } {
  const reviewed: ReviewAction[] = [];
  const calls: string[] = [];
  const actions: CaseViewActions = {
    fit: () => calls.push('fit'),
    actualSize: () => calls.push('1:1'),
    zoomBy: (f) => calls.push(`zoom ${f}`),
    cycleViewMode: () => calls.push('mode'),
    startRuler: () => calls.push('ruler'),
    review: (action) => reviewed.push(action),
  };
  const doc = new EditorDocument(10, 10);
  for (const command of caseViewCommands(actions)) doc.registerCommand(command);
  return { doc, reviewed, calls };
}

describe('case view commands', () => {
  it('claim no key press the editor or another case command already has', () => {
    // The document's list: the built-in commands, then the case view's.
    const all = setup().doc.commands;
    expect(all.length).toBe(editorCommands.length + caseViewCommands(noActions).length);
    expect(keybindingConflicts(all).map(([a, b, binding]) => `${a.id} / ${b.id}: ${binding}`)).toEqual([]);
  });

  it('review keys: Ctrl or Cmd+Enter approves, with Shift it approves and moves on, Shift+F flags, N and Shift+N walk the list', () => {
    const { doc, reviewed } = setup();
    expect(doc.keyDown(key('Enter', { ctrlKey: true }))).toBe(true);
    expect(doc.keyDown(key('Enter', { metaKey: true }))).toBe(true);
    expect(doc.keyDown(key('Enter', { ctrlKey: true, shiftKey: true }))).toBe(true);
    expect(doc.keyDown(key('F', { shiftKey: true }))).toBe(true);
    expect(doc.keyDown(key('n'))).toBe(true);
    expect(doc.keyDown(key('N', { shiftKey: true }))).toBe(true);
    expect(reviewed).toEqual(['approve', 'approve', 'approve-next', 'flag', 'next', 'previous']);
  });

  it('leaves the editor its own keys: F is flood fill, Enter alone is not a review decision', () => {
    const { doc, reviewed } = setup();
    doc.keyDown(key('f'));
    expect(doc.activeToolId).toBe('flood-fill');
    expect(doc.keyDown(key('Enter'))).toBe(false);
    expect(reviewed).toEqual([]);
  });

  it('the sheet lists every review command with its key', () => {
    const { doc } = setup();
    const listed = doc.commands.filter((c) => c.id.startsWith('review.')).map((c) => [c.id, c.keybindings[0]]);
    expect(listed).toEqual([
      ['review.approve', 'Mod+Enter'],
      ['review.approveNext', 'Mod+Shift+Enter'],
      ['review.flag', 'Shift+F'],
      ['review.next', 'N'],
      ['review.previous', 'Shift+N'],
    ]);
  });

  it('a tool key is announced even for the active tool, so the view can end the ruler on it', () => {
    const { doc, calls } = setup();
    const announced: string[] = [];
    doc.onChange((change) => change.kind === 'tool' && announced.push(change.toolId));
    doc.keyDown(key('r'));
    expect(calls).toEqual(['ruler']);
    doc.keyDown(key('b'));
    doc.keyDown(key('p'));
    expect(announced).toEqual(['brush', 'polygon']);
  });
});
