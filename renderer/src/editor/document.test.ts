import { describe, expect, it } from 'vitest';
import { EditorDocument, MAX_BRUSH_SIZE, nextBrushSize, type EditorChange } from './document.ts';
import type { EditorKeyEvent, EditorPointerEvent } from './tools/tool.ts';

function pointer(x: number, y: number, extra: Partial<EditorPointerEvent> = {}): EditorPointerEvent {
  return { x, y, button: 0, altKey: false, shiftKey: false, ctrlKey: false, metaKey: false, ...extra };
}

function key(k: string, extra: Partial<EditorKeyEvent> = {}): EditorKeyEvent {
  return { key: k, altKey: false, shiftKey: false, ctrlKey: false, metaKey: false, ...extra };
}

function stroke(doc: EditorDocument, from: [number, number], to: [number, number]): void {
  doc.pointerDown(pointer(...from));
  doc.pointerMove(pointer((from[0] + to[0]) / 2, (from[1] + to[1]) / 2));
  doc.pointerUp(pointer(...to));
}

describe('EditorDocument history across tools', () => {
  it('undoes a brush stroke, a polygon and fill holes one step each, in reverse order', () => {
    const doc = new EditorDocument(60, 60, { brushSize: 4 });
    stroke(doc, [5, 5], [25, 5]);
    const afterStroke = doc.raster.area();
    doc.setTool('polygon');
    for (const [x, y] of [[30, 30], [50, 30], [50, 50], [30, 50]] as const) doc.pointerDown(pointer(x, y, { hitRadius: 1 }));
    doc.keyDown(key('Enter'));
    doc.setTool('eraser');
    stroke(doc, [35, 40], [45, 40]);
    const withHole = doc.raster.area();
    expect(doc.fillHoles()).not.toBeNull();
    expect(doc.history.undoEntries.map((e) => e.label)).toEqual(['Brush stroke', 'Polygon add', 'Eraser stroke', 'Fill holes']);
    doc.keyDown(key('z', { ctrlKey: true }));
    expect(doc.raster.area()).toBe(withHole);
    doc.undo();
    doc.undo();
    expect(doc.raster.area()).toBe(afterStroke);
    doc.keyDown(key('Z', { ctrlKey: true, shiftKey: true }));
    doc.keyDown(key('y', { metaKey: true }));
    expect(doc.raster.area()).toBe(withHole);
    // A new edit clears what was left to redo.
    doc.invert();
    expect(doc.history.canRedo).toBe(false);
  });

  it('a cancelled stroke leaves no entry; undo during a stroke cancels the stroke', () => {
    const doc = new EditorDocument(30, 30);
    stroke(doc, [5, 5], [10, 5]);
    const before = doc.raster.area();
    doc.pointerDown(pointer(20, 20));
    doc.pointerMove(pointer(25, 25));
    doc.cancel();
    expect(doc.raster.area()).toBe(before);
    expect(doc.history.undoEntries).toHaveLength(1);
    doc.pointerDown(pointer(20, 20));
    doc.undo();
    expect(doc.raster.area()).toBe(0);
    expect(doc.tools.brush.state).toBe('idle');
    expect(doc.history.redoEntries.map((e) => e.label)).toEqual(['Brush stroke']);
  });

  it('says when a gesture is in progress, and announces its end', () => {
    const doc = new EditorDocument(40, 40, { brushSize: 4 });
    const kinds: EditorChange['kind'][] = [];
    doc.onChange((change) => kinds.push(change.kind));
    expect(doc.gestureInProgress).toBe(false);
    doc.pointerDown(pointer(5, 5));
    doc.pointerMove(pointer(15, 5));
    expect(doc.gestureInProgress).toBe(true);
    kinds.length = 0;
    doc.pointerUp(pointer(20, 5));
    expect(doc.gestureInProgress).toBe(false);
    expect(kinds).toEqual(expect.arrayContaining(['history', 'gesture-end']));

    // A fill press that changes nothing still ends (no history entry, but gesture-end).
    doc.setTool('flood-fill');
    doc.pointerDown(pointer(30, 30));
    doc.pointerUp(pointer(30, 30));
    doc.pointerDown(pointer(30, 30));
    expect(doc.gestureInProgress).toBe(true);
    kinds.length = 0;
    doc.pointerUp(pointer(30, 30));
    expect(doc.gestureInProgress).toBe(false);
    expect(kinds).toContain('gesture-end');
    expect(kinds).not.toContain('history');

    // An open polygon is unfinished work too, until closed or cancelled.
    doc.setTool('polygon');
    doc.pointerDown(pointer(30, 30, { hitRadius: 1 }));
    expect(doc.gestureInProgress).toBe(true);
    kinds.length = 0;
    doc.keyDown(key('Escape'));
    expect(doc.gestureInProgress).toBe(false);
    expect(kinds).toEqual(expect.arrayContaining(['preview', 'gesture-end']));

    // A stroke abandoned (pointer capture lost) ends the gesture as well.
    doc.setTool('brush');
    doc.pointerDown(pointer(5, 20));
    doc.pointerMove(pointer(15, 20));
    doc.cancel();
    expect(doc.gestureInProgress).toBe(false);
  });

  it('announces mask, history, tool, brush and preview changes', () => {
    const doc = new EditorDocument(20, 20);
    const kinds: EditorChange['kind'][] = [];
    const unsubscribe = doc.onChange((change) => kinds.push(change.kind));
    stroke(doc, [5, 5], [6, 6]);
    doc.setTool('polygon');
    doc.pointerDown(pointer(1, 1));
    doc.setBrushSize(40);
    doc.keyDown(key('?', { shiftKey: true }));
    unsubscribe();
    doc.setBrushSize(10);
    expect(kinds).toContain('mask');
    expect(kinds).toContain('history');
    expect(kinds).toContain('preview');
    expect(kinds.slice(-4)).toEqual(['tool', 'preview', 'brush-size', 'shortcut-sheet']);
  });

  it('loads a stored mask without history and restores a version as one undo step', () => {
    const doc = EditorDocument.fromGrayscale(2, 2, [255, 0, 0, 255]);
    expect(doc.raster.area()).toBe(2);
    expect(doc.history.canUndo).toBe(false);
    doc.replaceWithGrayscale('Restore version 1', [0, 0, 0, 255]);
    expect(doc.history.undoLabel).toBe('Restore version 1');
    doc.undo();
    expect(Array.from(doc.raster.toGrayscale())).toEqual([255, 0, 0, 255]);
    doc.loadGrayscale([0, 0, 0, 0]);
    expect(doc.history.canUndo).toBe(false);
    expect(doc.history.canRedo).toBe(false);
  });

  it('runs every clean-up operation as one labelled step', () => {
    const mask = new Uint8Array(40 * 40);
    for (let y = 10; y < 30; y++) for (let x = 10; x < 30; x++) mask[y * 40 + x] = 1;
    mask[0] = 1;
    const doc = new EditorDocument(40, 40, { mask, minIslandPixels: 5, smoothRadius: 2 });
    doc.removeIslands();
    doc.grow();
    doc.shrink();
    doc.smooth();
    doc.keepLargestRegion();
    doc.clear();
    expect(doc.history.undoEntries.map((e) => e.label)).toEqual([
      'Remove islands under 5 px',
      'Grow by one pixel',
      'Shrink by one pixel',
      'Smooth (radius 2)',
      'Clear',
    ]);
    expect(doc.raster.area()).toBe(0);
    expect(doc.byteSize).toBeGreaterThan(2 * 1600);
  });
});

describe('keyboard and brush size', () => {
  it('switches tools with B, E, P, L, F and ignores them with Ctrl', () => {
    const doc = new EditorDocument(10, 10);
    for (const [k, id] of [['e', 'eraser'], ['p', 'polygon'], ['l', 'lasso'], ['f', 'flood-fill'], ['b', 'brush']] as const) {
      expect(doc.keyDown(key(k))).toBe(true);
      expect(doc.activeToolId).toBe(id);
    }
    expect(doc.keyDown(key('e', { ctrlKey: true }))).toBe(false);
    expect(doc.activeToolId).toBe('brush');
  });

  it('[ and ] step the brush size within bounds, shift+wheel sets it directly', () => {
    const doc = new EditorDocument(10, 10, { brushSize: 10 });
    doc.keyDown(key(']'));
    expect(doc.brushSize).toBe(12);
    doc.keyDown(key('['));
    doc.keyDown(key('['));
    expect(doc.brushSize).toBe(9);
    doc.setBrushSize(0);
    expect(doc.brushSize).toBe(1);
    doc.keyDown(key('['));
    expect(doc.brushSize).toBe(1);
    doc.setBrushSize(5000);
    expect(doc.brushSize).toBe(MAX_BRUSH_SIZE);
    expect(nextBrushSize(2, 1)).toBe(3);
    expect(nextBrushSize(100, 1)).toBe(115);
  });

  it('the polygon tool gets Backspace before any command, and UI commands can be registered', () => {
    const doc = new EditorDocument(10, 10);
    let fitted = 0;
    const unregister = doc.registerCommand({ id: 'view.fit', title: 'Fit', keybindings: ['0'], run: () => fitted++ });
    expect(doc.keyDown(key('0'))).toBe(true);
    expect(doc.runCommand('view.fit')).toBe(true);
    unregister();
    expect(doc.keyDown(key('0'))).toBe(false);
    expect(fitted).toBe(2);
    expect(doc.runCommand('nope')).toBe(false);
    expect(doc.keyDown(key('q'))).toBe(false);
  });
});

describe('read-only document (an approved case)', () => {
  it('refuses strokes, operations, undo and redo, reports each refusal and keeps the mask', () => {
    const doc = new EditorDocument(40, 40, { brushSize: 4 });
    stroke(doc, [5, 5], [25, 5]);
    const area = doc.raster.area();
    const changes: EditorChange[] = [];
    doc.onChange((change) => changes.push(change));
    doc.setReadOnly(true);
    expect(doc.readOnly).toBe(true);
    stroke(doc, [5, 20], [25, 20]);
    expect(doc.fillHoles()).toBeNull();
    expect(doc.invert()).toBeNull();
    expect(doc.undo()).toBeNull();
    expect(doc.keyDown(key('z', { ctrlKey: true }))).toBe(true);
    expect(doc.raster.area()).toBe(area);
    expect(changes.filter((c) => c.kind === 'read-only').length).toBeGreaterThanOrEqual(4);
    expect(changes.some((c) => c.kind === 'history')).toBe(false);
    doc.setReadOnly(false);
    stroke(doc, [5, 20], [25, 20]);
    expect(doc.raster.area()).toBeGreaterThan(area);
  });

  it('finishes a stroke in progress when it becomes read-only (approved elsewhere), then locks', () => {
    const doc = new EditorDocument(40, 40, { brushSize: 4 });
    const changes: EditorChange['kind'][] = [];
    doc.onChange((change) => changes.push(change.kind));
    doc.pointerDown(pointer(5, 5));
    doc.pointerMove(pointer(20, 5));
    doc.setReadOnly(true);
    expect(doc.readOnly).toBe(true);
    // Nothing new starts meanwhile, and the stroke is not cut short.
    expect(doc.fillHoles()).toBeNull();
    doc.pointerMove(pointer(25, 5));
    doc.pointerUp(pointer(25, 5));
    const area = doc.raster.area();
    expect(area).toBeGreaterThan(0);
    expect(doc.history.undoLabel).not.toBeNull();
    expect(changes.indexOf('gesture-end')).toBeGreaterThan(changes.indexOf('history'));
    // Locked from its end on: the next stroke and undo are refused.
    stroke(doc, [5, 20], [25, 20]);
    expect(doc.undo()).toBeNull();
    expect(doc.raster.area()).toBe(area);
  });

  it('an open polygon keeps taking points after the lock is asked for, and locks once closed', () => {
    const doc = new EditorDocument(40, 40);
    doc.setTool('polygon');
    doc.pointerDown(pointer(5, 5, { hitRadius: 1 }));
    doc.pointerDown(pointer(30, 5, { hitRadius: 1 }));
    doc.setReadOnly(true);
    doc.pointerDown(pointer(30, 30, { hitRadius: 1 }));
    doc.keyDown(key('Enter'));
    expect(doc.raster.area()).toBeGreaterThan(200);
    doc.pointerDown(pointer(2, 38, { hitRadius: 1 }));
    expect(doc.gestureInProgress).toBe(false);
  });
});
