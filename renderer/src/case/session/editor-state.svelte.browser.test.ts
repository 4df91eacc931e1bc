import { flushSync } from 'svelte';
import { describe, expect, it } from 'vitest';
import { EditorDocument } from '../../editor/index.ts';
import type { EditorPointerEvent } from '../../editor/tools/tool.ts';
import { EditorState } from './editor-state.svelte.ts';

function pointer(x: number, y: number): EditorPointerEvent {
  return { x, y, button: 0, altKey: false, shiftKey: false, ctrlKey: false, metaKey: false };
}

describe('EditorState', () => {
  it('views that read it follow the document: undo, redo, tool and brush, not each pixel of a stroke', () => {
    const editor = new EditorDocument(20, 20, { brushSize: 4 });
    const state = new EditorState(editor);
    const seen: string[] = [];
    const stop = $effect.root(() => {
      $effect(() => {
        seen.push(`${state.activeTool} ${state.brushSize} ${state.canUndo ? state.undoLabel : '-'} ${state.canRedo ? state.redoLabel : '-'}`);
      });
    });
    flushSync();
    editor.pointerDown(pointer(2, 2));
    for (let x = 3; x < 15; x++) editor.pointerMove(pointer(x, 2));
    flushSync();
    // Mid-stroke nothing these values show has changed: the views were not woken.
    expect(seen).toEqual(['brush 4 - -']);
    editor.pointerUp(pointer(15, 2));
    flushSync();
    editor.undo();
    flushSync();
    editor.setTool('lasso');
    editor.setBrushSize(9);
    flushSync();
    expect(seen).toEqual(['brush 4 - -', 'brush 4 Brush stroke -', 'brush 4 - Brush stroke', 'lasso 9 - Brush stroke']);
    stop();
    // Stopped: the document no longer has the view's listener.
    editor.redo();
    flushSync();
    expect(seen).toHaveLength(4);
    expect(state.canUndo).toBe(true);
  });
});
