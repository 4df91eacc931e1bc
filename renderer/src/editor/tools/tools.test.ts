import { describe, expect, it } from 'vitest';
import { maskToAscii } from '../ascii-mask.ts';
import { EditorDocument } from '../document.ts';
import type { EditorKeyEvent, EditorPointerEvent } from './tool.ts';

function pointer(x: number, y: number, extra: Partial<EditorPointerEvent> = {}): EditorPointerEvent {
  return { x, y, button: 0, altKey: false, shiftKey: false, ctrlKey: false, metaKey: false, ...extra };
}

function key(k: string, extra: Partial<EditorKeyEvent> = {}): EditorKeyEvent {
  return { key: k, altKey: false, shiftKey: false, ctrlKey: false, metaKey: false, ...extra };
}

describe('BrushTool', () => {
  it('goes idle -> drawing -> idle, and a whole stroke is one undo step', () => {
    const doc = new EditorDocument(100, 50, { brushSize: 6 });
    const brush = doc.tools.brush;
    expect(brush.state).toBe('idle');
    doc.pointerDown(pointer(10, 25));
    expect(brush.state).toBe('drawing');
    for (let x = 20; x <= 90; x += 10) doc.pointerMove(pointer(x, 25));
    doc.pointerUp(pointer(90, 25));
    expect(brush.state).toBe('idle');
    for (let x = 10; x < 90; x++) expect(doc.raster.get(x, 25)).toBe(1);
    expect(doc.history.undoEntries).toHaveLength(1);
    expect(doc.history.undoLabel).toBe('Brush stroke');
    doc.undo();
    expect(doc.raster.area()).toBe(0);
  });

  it('ignores moves without a press and presses of other buttons', () => {
    const doc = new EditorDocument(20, 20);
    doc.pointerMove(pointer(5, 5));
    doc.pointerDown(pointer(5, 5, { button: 1 }));
    expect(doc.tools.brush.state).toBe('idle');
    expect(doc.raster.area()).toBe(0);
  });

  it('Escape mid-stroke rolls the stroke back with no undo or redo entry', () => {
    const doc = new EditorDocument(50, 50, { brushSize: 4 });
    doc.pointerDown(pointer(10, 10));
    doc.pointerMove(pointer(40, 40));
    expect(doc.raster.area()).toBeGreaterThan(0);
    expect(doc.keyDown(key('Escape'))).toBe(true);
    expect(doc.raster.area()).toBe(0);
    expect(doc.history.canUndo).toBe(false);
    expect(doc.history.canRedo).toBe(false);
    doc.pointerUp(pointer(40, 40));
    expect(doc.history.canUndo).toBe(false);
  });

  it('the eraser removes lesion pixels', () => {
    const doc = new EditorDocument(20, 20, { mask: new Uint8Array(400).fill(1), brushSize: 4 });
    doc.setTool('eraser');
    doc.pointerDown(pointer(10, 10));
    doc.pointerUp(pointer(10, 10));
    expect(doc.raster.get(10, 10)).toBe(0);
    expect(doc.history.undoLabel).toBe('Eraser stroke');
  });
});

describe('PolygonTool', () => {
  // hitRadius 1: on a 10 px image the default (a few screen pixels) would snap to the first vertex.
  const square = [pointer(2, 2, { hitRadius: 1 }), pointer(8, 2, { hitRadius: 1 }), pointer(8, 8, { hitRadius: 1 }), pointer(2, 8, { hitRadius: 1 })];

  it('closes on a click on the first point and fills', () => {
    const doc = new EditorDocument(10, 10);
    doc.setTool('polygon');
    for (const p of square) doc.pointerDown(p);
    expect(doc.tools.polygon.state).toBe('drawing');
    expect(doc.tools.polygon.preview()?.points).toHaveLength(4);
    doc.pointerDown(pointer(2.5, 2.5));
    expect(doc.tools.polygon.state).toBe('idle');
    expect(doc.raster.area()).toBe(36);
    expect(doc.history.undoLabel).toBe('Polygon add');
  });

  it('closes on Enter and on a double-click', () => {
    const doc = new EditorDocument(10, 10);
    doc.setTool('polygon');
    for (const p of square) doc.pointerDown(p);
    expect(doc.keyDown(key('Enter'))).toBe(true);
    expect(doc.raster.area()).toBe(36);
    doc.clear();
    doc.pointerDown(square[0]!);
    doc.pointerDown(square[1]!);
    // A double-click on the third corner: press, press, then the browser's count of 2.
    doc.pointerDown(square[2]!);
    doc.pointerDown(square[2]!);
    doc.doubleClick(square[2]!);
    expect(doc.tools.polygon.state).toBe('idle');
    expect(doc.raster.area()).toBe(21); // centres on or right of the diagonal: 6 + 5 + 4 + 3 + 2 + 1
  });

  it('a double-click adds its point once: the second press is taken back, not kept as a duplicate vertex', () => {
    const doc = new EditorDocument(10, 10);
    doc.setTool('polygon');
    for (const p of square.slice(0, 3)) doc.pointerDown(p);
    // Double-click on the fourth corner; the second press lands a little off, as a hand's does.
    doc.pointerDown(square[3]!);
    doc.pointerDown(pointer(2.4, 8.3, { hitRadius: 1 }));
    expect(doc.tools.polygon.preview()?.points).toHaveLength(5);
    doc.doubleClick(pointer(2.4, 8.3, { hitRadius: 1 }));
    expect(doc.tools.polygon.state).toBe('idle');
    // The square, exactly as four clicks and Enter fill it, in one undo step.
    expect(doc.raster.area()).toBe(36);
    expect(doc.history.undoEntries).toHaveLength(1);
    expect(doc.history.undoLabel).toBe('Polygon add');
  });

  it('a double-click on the first vertex closes once and does not start another polygon', () => {
    const doc = new EditorDocument(10, 10);
    doc.setTool('polygon');
    for (const p of square) doc.pointerDown(p);
    doc.pointerDown(square[0]!); // first press: on the first vertex, closes
    expect(doc.tools.polygon.state).toBe('idle');
    doc.pointerDown(square[0]!); // second press: would open a new polygon here
    doc.doubleClick(square[0]!);
    expect(doc.tools.polygon.state).toBe('idle');
    expect(doc.tools.polygon.preview()).toBeNull();
    expect(doc.raster.area()).toBe(36);
    expect(doc.history.undoEntries).toHaveLength(1);
    // The next click starts a fresh polygon as usual.
    doc.pointerDown(pointer(1, 1));
    expect(doc.tools.polygon.preview()?.points).toEqual([{ x: 1, y: 1 }]);
  });

  it('a double-click with too few points abandons the polygon, and other tools ignore double-clicks', () => {
    const doc = new EditorDocument(10, 10);
    doc.setTool('polygon');
    doc.pointerDown(pointer(1, 1));
    doc.pointerDown(pointer(5, 5));
    doc.pointerDown(pointer(5, 5));
    doc.doubleClick(pointer(5, 5));
    expect(doc.tools.polygon.state).toBe('idle');
    expect(doc.history.canUndo).toBe(false);
    // A double-click from idle: one point, then its copy; nothing is drawn or left open.
    doc.pointerDown(pointer(3, 3));
    doc.pointerDown(pointer(3, 3));
    doc.doubleClick(pointer(3, 3));
    expect(doc.tools.polygon.preview()).toBeNull();
    doc.setTool('brush');
    doc.pointerDown(pointer(5, 5));
    doc.pointerUp(pointer(5, 5));
    doc.doubleClick(pointer(5, 5));
    expect(doc.history.undoEntries).toHaveLength(1);
  });

  it('Ctrl+Enter while a polygon is open closes it (the review key waits for the next press)', () => {
    const doc = new EditorDocument(10, 10);
    doc.setTool('polygon');
    for (const p of square) doc.pointerDown(p);
    expect(doc.keyDown(key('Enter', { ctrlKey: true }))).toBe(true);
    expect(doc.raster.area()).toBe(36);
  });

  it('Alt subtracts, Backspace removes the last point, Escape cancels without an entry', () => {
    const doc = new EditorDocument(10, 10, { mask: new Uint8Array(100).fill(1) });
    doc.setTool('polygon');
    doc.pointerDown(pointer(2, 2, { altKey: true }));
    doc.pointerDown(pointer(8, 2));
    doc.pointerDown(pointer(9, 9));
    expect(doc.keyDown(key('Backspace'))).toBe(true);
    doc.pointerDown(pointer(8, 8));
    doc.pointerDown(pointer(2, 8, { hitRadius: 1 }));
    expect(doc.tools.polygon.preview()).toMatchObject({ subtract: true, points: [{ x: 2 }, { x: 8 }, { x: 8 }, { x: 2 }] });
    doc.keyDown(key('Enter'));
    expect(doc.raster.area()).toBe(100 - 36);
    expect(doc.history.undoLabel).toBe('Polygon subtract');
    doc.pointerDown(pointer(1, 1));
    doc.pointerDown(pointer(5, 1));
    expect(doc.keyDown(key('Escape'))).toBe(true);
    expect(doc.tools.polygon.state).toBe('idle');
    expect(doc.history.undoEntries).toHaveLength(1);
  });

  it('a polygon with fewer than three points changes nothing, and Backspace to empty returns to idle', () => {
    const doc = new EditorDocument(10, 10);
    doc.setTool('polygon');
    doc.pointerDown(pointer(1, 1));
    doc.pointerDown(pointer(5, 5));
    doc.keyDown(key('Enter'));
    expect(doc.history.canUndo).toBe(false);
    doc.pointerDown(pointer(1, 1));
    doc.keyDown(key('Backspace'));
    expect(doc.tools.polygon.state).toBe('idle');
    expect(doc.keyDown(key('Backspace'))).toBe(false);
  });

  it('switching tools abandons an open polygon', () => {
    const doc = new EditorDocument(10, 10);
    doc.setTool('polygon');
    doc.pointerDown(pointer(1, 1));
    doc.setTool('brush');
    expect(doc.tools.polygon.state).toBe('idle');
    expect(doc.tools.polygon.preview()).toBeNull();
  });
});

describe('LassoTool', () => {
  function drag(doc: EditorDocument, points: [number, number][], alt = false): void {
    const [first, ...rest] = points;
    doc.pointerDown(pointer(first![0], first![1], { altKey: alt }));
    for (const [x, y] of rest) doc.pointerMove(pointer(x, y));
    const last = points[points.length - 1]!;
    doc.pointerUp(pointer(last[0], last[1]));
  }

  it('idle -> pointing -> drawing, fills the freehand outline on release', () => {
    const doc = new EditorDocument(20, 20);
    doc.setTool('lasso');
    doc.pointerDown(pointer(2, 2));
    expect(doc.tools.lasso.state).toBe('pointing');
    doc.pointerMove(pointer(12, 2));
    expect(doc.tools.lasso.state).toBe('drawing');
    doc.pointerMove(pointer(12, 12));
    doc.pointerMove(pointer(2, 12));
    doc.pointerUp(pointer(2, 12));
    expect(doc.tools.lasso.state).toBe('idle');
    expect(doc.raster.area()).toBe(100);
    expect(doc.history.undoLabel).toBe('Lasso add');
  });

  it('Alt subtracts; a click without a drag does nothing', () => {
    const doc = new EditorDocument(20, 20, { mask: new Uint8Array(400).fill(1) });
    doc.setTool('lasso');
    drag(doc, [[2, 2], [12, 2], [12, 12], [2, 12]], true);
    expect(doc.raster.area()).toBe(300);
    expect(doc.history.undoLabel).toBe('Lasso subtract');
    drag(doc, [[5, 5], [5.5, 5.5]]);
    expect(doc.history.undoEntries).toHaveLength(1);
  });

  it('Escape while drawing cancels', () => {
    const doc = new EditorDocument(20, 20);
    doc.setTool('lasso');
    doc.pointerDown(pointer(2, 2));
    doc.pointerMove(pointer(12, 2));
    doc.pointerMove(pointer(12, 12));
    expect(doc.tools.lasso.preview()?.points.length).toBe(3);
    doc.keyDown(key('Escape'));
    doc.pointerUp(pointer(2, 12));
    expect(doc.raster.area()).toBe(0);
    expect(doc.history.canUndo).toBe(false);
  });
});

describe('FloodFillTool', () => {
  it('fills on release; Alt erases; a drag or Escape cancels', () => {
    const mask = new Uint8Array(100);
    for (let i = 0; i < 10; i++) mask[i * 10 + 5] = 1; // a wall at x = 5
    const doc = new EditorDocument(10, 10, { mask });
    doc.setTool('flood-fill');
    doc.pointerDown(pointer(1, 1));
    expect(doc.tools['flood-fill'].state).toBe('pointing');
    doc.pointerUp(pointer(1, 1));
    expect(doc.raster.area()).toBe(60);
    expect(doc.history.undoLabel).toBe('Flood fill');
    expect(maskToAscii(doc.raster)[0]).toBe('######....');
    // Alt on background is a no-op (nothing to erase) and records nothing.
    doc.pointerDown(pointer(8, 8, { altKey: true }));
    doc.pointerUp(pointer(8, 8, { altKey: true }));
    expect(doc.history.undoEntries).toHaveLength(1);
    doc.pointerDown(pointer(1, 1, { altKey: true }));
    doc.pointerUp(pointer(1, 1, { altKey: true }));
    expect(doc.raster.area()).toBe(0);
    expect(doc.history.undoLabel).toBe('Flood erase');
    doc.pointerDown(pointer(1, 1));
    doc.pointerMove(pointer(9, 9));
    doc.pointerUp(pointer(9, 9));
    doc.pointerDown(pointer(1, 1));
    doc.keyDown(key('Escape'));
    doc.pointerUp(pointer(1, 1));
    expect(doc.history.undoEntries).toHaveLength(2);
  });
});

describe('BoxTool and ClickTool (interactive)', () => {
  function recorded(doc: EditorDocument) {
    const inputs: unknown[] = [];
    doc.onChange((change) => change.kind === 'interactive' && inputs.push(change.input));
    return inputs;
  }

  it('a drag with the Box tool hands over the box, corners in any order, and previews it while dragging', () => {
    const doc = new EditorDocument(200, 100);
    const inputs = recorded(doc);
    doc.setTool('box');
    doc.pointerDown(pointer(150, 80));
    doc.pointerMove(pointer(100, 50));
    expect(doc.activeTool.preview()?.points).toEqual([{ x: 150, y: 80 }, { x: 100, y: 80 }, { x: 100, y: 50 }, { x: 150, y: 50 }]);
    doc.pointerMove(pointer(20, 10));
    doc.pointerUp(pointer(20, 10));
    expect(inputs).toEqual([{ kind: 'box', x0: 20, y0: 10, x1: 150, y1: 80 }]);
    expect(doc.activeTool.preview()).toBeNull();
    // The tool changes no pixel itself and records no step: the model's answer will.
    expect(doc.raster.area()).toBe(0);
    expect(doc.history.canUndo).toBe(false);
  });

  it('a press without a drag is a click: primary marks lesion, Alt or the right button marks skin', () => {
    const doc = new EditorDocument(200, 100);
    const inputs = recorded(doc);
    for (const tool of ['click', 'box'] as const) {
      doc.setTool(tool);
      doc.pointerDown(pointer(10.4, 20.6));
      doc.pointerUp(pointer(10.4, 20.6));
      doc.pointerDown(pointer(30, 40, { altKey: true }));
      doc.pointerUp(pointer(30, 40, { altKey: true }));
      doc.pointerDown(pointer(50, 60, { button: 2 }));
      doc.pointerUp(pointer(50, 60, { button: 2 }));
    }
    const clicks = [
      { kind: 'click', x: 10.4, y: 20.6, positive: true },
      { kind: 'click', x: 30, y: 40, positive: false },
      { kind: 'click', x: 50, y: 60, positive: false },
    ];
    expect(inputs).toEqual([...clicks, ...clicks]);
  });

  it('a click that drags further than a few screen pixels adds nothing; Escape clears, also with nothing under way', () => {
    const doc = new EditorDocument(200, 100);
    const inputs = recorded(doc);
    doc.setTool('click');
    // hitRadius: 6 screen pixels at this zoom are 30 image pixels; 20 is still a click.
    doc.pointerDown(pointer(10, 10, { hitRadius: 30 }));
    doc.pointerMove(pointer(30, 10));
    doc.pointerUp(pointer(30, 10));
    doc.pointerDown(pointer(10, 10, { hitRadius: 30 }));
    doc.pointerMove(pointer(50, 10));
    doc.pointerUp(pointer(50, 10));
    expect(inputs).toEqual([{ kind: 'click', x: 10, y: 10, positive: true }]);
    expect(doc.keyDown(key('Escape'))).toBe(true);
    expect(inputs.at(-1)).toEqual({ kind: 'clear' });
  });

  it('a locked document hands over nothing and says why', () => {
    const doc = new EditorDocument(200, 100);
    const inputs = recorded(doc);
    let refusals = 0;
    doc.onChange((change) => change.kind === 'read-only' && refusals++);
    doc.setTool('box');
    doc.setReadOnly(true);
    doc.pointerDown(pointer(10, 10));
    doc.pointerMove(pointer(100, 80));
    doc.pointerUp(pointer(100, 80));
    expect(inputs).toEqual([]);
    expect(refusals).toBe(1);
  });
});
