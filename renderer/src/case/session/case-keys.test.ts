import { describe, expect, it, vi } from 'vitest';
import { EditorDocument } from '../../editor/index.ts';
import { caseViewCommands } from '../case-commands.ts';
import { caseKeyDown, caseKeyUp, type CaseKeyEvent, type CaseKeyTarget } from './case-keys.ts';

function key(k: string, extra: Partial<CaseKeyEvent> = {}): CaseKeyEvent {
  return { key: k, altKey: false, shiftKey: false, ctrlKey: false, metaKey: false, repeat: false, target: null, defaultPrevented: false, ...extra };
}

function setup() {
  const editor = new EditorDocument(10, 10);
  let ruler = false;
  const startRuler = vi.fn(() => (ruler = true));
  for (const command of caseViewCommands({ fit() {}, actualSize() {}, zoomBy() {}, cycleViewMode() {}, startRuler, review() {} })) editor.registerCommand(command);
  const target: { -readonly [K in keyof CaseKeyTarget]: CaseKeyTarget[K] } & { pan: boolean[] } = {
    ready: true,
    editor,
    showShortcuts: false,
    pan: [],
    setPanKeyHeld(held) {
      this.pan.push(held);
    },
    cancelRuler: () => {
      const had = ruler;
      ruler = false;
      return had;
    },
  };
  editor.onChange((change) => change.kind === 'shortcut-sheet' && (target.showShortcuts = !target.showShortcuts));
  return { editor, target, startRuler, rulerActive: () => ruler };
}

describe('the case keys', () => {
  it('every key but Space and the sheet\'s and ruler\'s Esc is a declared command', () => {
    const { editor, target, startRuler } = setup();
    expect(caseKeyDown(target, key('l'))).toBe(true);
    expect(editor.activeToolId).toBe('lasso');
    expect(caseKeyDown(target, key('r'))).toBe(true);
    expect(startRuler).toHaveBeenCalledOnce();
    expect(caseKeyDown(target, key('q'))).toBe(false);
  });

  it('? opens the shortcut sheet; Esc or ? closes it before any tool sees the key', () => {
    const { target } = setup();
    expect(caseKeyDown(target, key('?', { shiftKey: true }))).toBe(true);
    expect(target.showShortcuts).toBe(true);
    expect(caseKeyDown(target, key('Escape'))).toBe(true);
    expect(target.showShortcuts).toBe(false);
  });

  it('Esc ends the ruler first; Space held pans until released, a repeat does not press it again', () => {
    const { target, rulerActive } = setup();
    caseKeyDown(target, key('r'));
    expect(rulerActive()).toBe(true);
    expect(caseKeyDown(target, key('Escape'))).toBe(true);
    expect(rulerActive()).toBe(false);
    expect(caseKeyDown(target, key(' '))).toBe(true);
    expect(caseKeyDown(target, key(' ', { repeat: true }))).toBe(true);
    caseKeyUp(target, key(' '));
    expect(target.pan).toEqual([true, false]);
  });

  it('ignores keys before the case is ready and keys another control already handled', () => {
    const { editor, target } = setup();
    target.ready = false;
    expect(caseKeyDown(target, key('l'))).toBe(false);
    target.ready = true;
    expect(caseKeyDown(target, key('l', { defaultPrevented: true }))).toBe(false);
    expect(editor.activeToolId).toBe('brush');
  });
});
