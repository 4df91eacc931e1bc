/**
 * The editor document as runes read it: the active tool, the brush, undo and redo with their
 * labels, its memory. Read straight from the document, through Svelte's createSubscriber over
 * its change event, so no view keeps a copy to update by hand. Pixel changes during a stroke
 * ('mask', 'preview') do not wake the readers: none of these values moves with them.
 */
import { createSubscriber } from 'svelte/reactivity';
import type { EditorDocument, ToolId } from '../../editor/index.ts';

export class EditorState {
  private readonly editor: EditorDocument;
  private readonly subscribe: () => void;

  constructor(editor: EditorDocument) {
    this.editor = editor;
    this.subscribe = createSubscriber((update) =>
      editor.onChange((change) => {
        if (change.kind !== 'mask' && change.kind !== 'preview') update();
      }),
    );
  }

  get activeTool(): ToolId {
    this.subscribe();
    return this.editor.activeToolId;
  }

  get brushSize(): number {
    this.subscribe();
    return this.editor.brushSize;
  }

  get canUndo(): boolean {
    this.subscribe();
    return this.editor.history.canUndo;
  }

  get canRedo(): boolean {
    this.subscribe();
    return this.editor.history.canRedo;
  }

  get undoLabel(): string | null {
    this.subscribe();
    return this.editor.history.undoLabel;
  }

  get redoLabel(): string | null {
    this.subscribe();
    return this.editor.history.redoLabel;
  }

  /** The document's memory (mask, history), for the benchmarks' and tests' attribute. */
  get byteSize(): number {
    this.subscribe();
    return this.editor.byteSize;
  }
}
