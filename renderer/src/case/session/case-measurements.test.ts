import { describe, expect, it } from 'vitest';
import { EditorDocument, MaskRaster, measureMask, type MaskMeasurements } from '../../editor/index.ts';
import type { EditorPointerEvent } from '../../editor/tools/tool.ts';
import { CaseMessages } from './case-messages.svelte.ts';
import { CaseMeasurements } from './case-measurements.svelte.ts';

function pointer(x: number, y: number): EditorPointerEvent {
  return { x, y, button: 0, altKey: false, shiftKey: false, ctrlKey: false, metaKey: false };
}

/**
 * A session on a 40 x 30 mask whose frames and worker replies the test releases by hand. With
 * `cancellable` the analyser answers a cancelled measurement as the worker does, by rejecting.
 */
function setup(pixelsPerMm: number | null = null, { cancellable = false } = {}) {
  const editor = new EditorDocument(40, 30, { brushSize: 4 });
  const frames: (() => void)[] = [];
  const replies: (() => void)[] = [];
  const signals: AbortSignal[] = [];
  const messages = new CaseMessages();
  const measurements = new CaseMeasurements({
    editor,
    messages,
    pixelsPerMm: () => pixelsPerMm,
    analyser: {
      measure: (width, height, mask, ppm, signal) => {
        const copy = new MaskRaster(width, height, mask.slice());
        if (signal) signals.push(signal);
        return new Promise<MaskMeasurements>((resolve, reject) =>
          replies.push(() => (cancellable && signal?.aborted ? reject(new Error('cancelled')) : resolve(measureMask(copy, { pixelsPerMm: ppm })))),
        );
      },
    },
    afterFrame: (task) => {
      frames.push(task);
      return () => {
        const index = frames.indexOf(task);
        if (index >= 0) frames.splice(index, 1);
      };
    },
  });
  const nextFrame = (): void => frames.splice(0).forEach((task) => task());
  const reply = async (): Promise<void> => {
    replies.shift()?.();
    for (let i = 0; i < 5; i++) await Promise.resolve();
  };
  return { editor, measurements, nextFrame, reply, replies, signals, messages };
}

describe('CaseMeasurements', () => {
  it('the area follows a stroke, an undo, a redo and a clean-up at once, before any frame or worker', () => {
    const { editor, measurements } = setup(2);
    expect(measurements.areaPx).toBe(0);
    editor.pointerDown(pointer(5, 5));
    editor.pointerMove(pointer(20, 5));
    editor.pointerUp(pointer(30, 5));
    const afterStroke = editor.raster.area();
    expect(afterStroke).toBeGreaterThan(0);
    expect(measurements.areaPx).toBe(afterStroke);
    expect(measurements.areaMm2).toBe(afterStroke / 4);
    editor.undo();
    expect(measurements.areaPx).toBe(0);
    editor.redo();
    expect(measurements.areaPx).toBe(afterStroke);
    editor.invert();
    expect(measurements.areaPx).toBe(40 * 30 - afterStroke);
    editor.fillHoles();
    expect(measurements.areaPx).toBe(editor.raster.area());
    editor.loadGrayscale(new Uint8Array(40 * 30).fill(1), 1);
    expect(measurements.areaPx).toBe(40 * 30);
  });

  it('the full set follows after the frame, stays marked stale until it is of the mask on screen, and one request runs at a time', async () => {
    const { editor, measurements, nextFrame, reply, replies } = setup();
    editor.invert();
    expect(measurements.stale).toBe(true);
    expect(replies).toHaveLength(0);
    nextFrame();
    expect(replies).toHaveLength(1);
    // Edited while the worker measures: the reply is of the older mask, still stale, and one more follows.
    editor.clear();
    nextFrame();
    expect(replies).toHaveLength(1);
    await reply();
    expect(measurements.measurements?.areaPx).toBe(40 * 30);
    expect(measurements.stale).toBe(true);
    expect(measurements.areaPx).toBe(0);
    await reply();
    expect(measurements.measurements?.areaPx).toBe(0);
    expect(measurements.stale).toBe(false);
  });

  it('a quick run of edits is measured once, for the last mask', async () => {
    const { editor, measurements, nextFrame, reply, replies } = setup();
    editor.invert();
    editor.undo();
    editor.redo();
    editor.clear();
    nextFrame();
    expect(replies).toHaveLength(1);
    await reply();
    expect(measurements.measurements?.areaPx).toBe(0);
    expect(measurements.stale).toBe(false);
  });

  it('an edit cancels the measurement it made stale: no problem is shown, and the edit is measured next', async () => {
    const { editor, measurements, nextFrame, reply, replies, signals, messages } = setup(null, { cancellable: true });
    editor.invert();
    nextFrame();
    expect(replies).toHaveLength(1);
    editor.clear();
    expect(signals[0]!.aborted).toBe(true);
    nextFrame();
    await reply();
    expect(messages.problem).toBeNull();
    expect(measurements.stale).toBe(true);
    expect(replies).toHaveLength(1);
    await reply();
    expect(measurements.measurements?.areaPx).toBe(0);
    expect(measurements.stale).toBe(false);
    expect(signals.filter((signal) => signal.aborted)).toHaveLength(1);
  });

  it('a stroke being drawn marks the set stale and is measured once committed; dispose() cancels what is scheduled', async () => {
    const { editor, measurements, nextFrame, replies } = setup();
    editor.pointerDown(pointer(5, 5));
    editor.pointerMove(pointer(20, 5));
    expect(measurements.stale).toBe(true);
    nextFrame();
    expect(replies).toHaveLength(0);
    editor.pointerUp(pointer(30, 5));
    measurements.dispose();
    nextFrame();
    expect(replies).toHaveLength(0);
  });
});
