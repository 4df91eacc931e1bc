import { describe, expect, it } from 'vitest';
import { editorCommands, findCommand, keybindingConflicts } from './commands.ts';
import { formatKeybinding, matchesKeybinding, sameKeyPress } from './keybindings.ts';
import type { EditorKeyEvent } from './tools/tool.ts';

function key(k: string, extra: Partial<EditorKeyEvent> = {}): EditorKeyEvent {
  return { key: k, altKey: false, shiftKey: false, ctrlKey: false, metaKey: false, ...extra };
}

describe('keybindings', () => {
  it('matches modifiers exactly for letters and accepts Ctrl or Cmd for Mod', () => {
    expect(matchesKeybinding('Mod+Z', key('z', { ctrlKey: true }))).toBe(true);
    expect(matchesKeybinding('Mod+Z', key('z', { metaKey: true }))).toBe(true);
    expect(matchesKeybinding('Mod+Z', key('Z', { ctrlKey: true, shiftKey: true }))).toBe(false);
    expect(matchesKeybinding('Mod+Shift+Z', key('Z', { ctrlKey: true, shiftKey: true }))).toBe(true);
    expect(matchesKeybinding('B', key('b', { altKey: true }))).toBe(false);
  });

  it('ignores Shift for symbols that need it on the layout', () => {
    expect(matchesKeybinding('?', key('?', { shiftKey: true }))).toBe(true);
    expect(matchesKeybinding('[', key('['))).toBe(true);
    expect(matchesKeybinding('Mod++', key('+', { ctrlKey: true }))).toBe(true);
  });

  it('formats for people', () => {
    expect(formatKeybinding('Mod+Shift+Z')).toBe('Ctrl+Shift+Z');
    expect(formatKeybinding('Mod+Shift+Z', true)).toBe('⌘⇧Z');
    expect(formatKeybinding('Shift+Delete')).toBe('Shift+Delete');
  });

  it('declares every command once, each with a title and a binding that finds it', () => {
    const ids = editorCommands.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ['editor.undo', 'editor.redo', 'help.shortcuts', 'tool.brush', 'tool.eraser', 'tool.polygon', 'tool.lasso', 'tool.flood-fill']) {
      expect(ids).toContain(id);
    }
    expect(findCommand(editorCommands, key('y', { ctrlKey: true }))?.id).toBe('editor.redo');
    expect(findCommand(editorCommands, key('K', { shiftKey: true }))?.id).toBe('mask.removeIslands');
    expect(findCommand(editorCommands, key('k'))?.id).toBe('mask.keepLargest');
    for (const command of editorCommands) expect(command.title.length).toBeGreaterThan(2);
  });
});

describe('keybinding conflicts', () => {
  const command = (id: string, ...keybindings: string[]) => ({ id, title: id, keybindings, run: () => {} });

  it('treats spellings of one key press as the same, and Shift as a difference only for letters and named keys', () => {
    expect(sameKeyPress('Mod+Enter', 'Ctrl+enter')).toBe(true);
    expect(sameKeyPress('Mod+Enter', 'Mod+Shift+Enter')).toBe(false);
    expect(sameKeyPress('F', 'Shift+F')).toBe(false);
    expect(sameKeyPress('?', 'Shift+?')).toBe(true);
    expect(sameKeyPress('N', 'Alt+N')).toBe(false);
  });

  it('finds two commands on one key press, and none among the built-in commands', () => {
    expect(keybindingConflicts(editorCommands)).toEqual([]);
    const clash = keybindingConflicts([command('a', 'K'), command('b', 'Shift+K', 'k')]);
    expect(clash.map(([a, b, binding]) => [a.id, b.id, binding])).toEqual([['a', 'b', 'K']]);
  });
});
