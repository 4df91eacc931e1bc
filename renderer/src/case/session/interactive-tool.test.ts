import { describe, expect, it } from 'vitest';
import { interactiveGrid, type Region } from '../../../../preload/api.ts';
import { EditorDocument, type EditorPointerEvent, type InteractiveInput } from '../../editor/index.ts';
import { CaseMessages } from './case-messages.svelte.ts';
import { InteractiveTool, interactiveModelProblem, type InteractiveReply, type InteractiveRequest } from './interactive-tool.svelte.ts';

const W = 200;
const H = 100;
const G = interactiveGrid;

/** A model call that answers when the test says so: every request is kept with its resolver. */
class ModelCalls {
  readonly requests: { request: InteractiveRequest; answer: (prob: Uint8Array) => void; fail: (error: Error) => void }[] = [];
  readonly refine = (request: InteractiveRequest): Promise<InteractiveReply> =>
    new Promise((resolve, reject) => {
      this.requests.push({
        request,
        answer: (prob) => resolve({ prob, threshold: 0.5, model: { name: 'scsonet-interactive', version: '1.0.0' }, inferMs: 3 }),
        fail: reject,
      });
    });
}

/** The whole grid lesion (255) or skin (0). */
const everywhere = (value: number): Uint8Array => new Uint8Array(G * G).fill(value);

/** Lesion in the grid's left half only. */
function leftHalf(): Uint8Array {
  const prob = new Uint8Array(G * G);
  for (let i = 0; i < G; i++) prob.fill(255, i * G, i * G + G / 2);
  return prob;
}

function setup(options: { mask?: Uint8Array; checkModel?: () => Promise<string | null> } = {}) {
  const editor = new EditorDocument(W, H, options.mask ? { mask: options.mask } : {});
  const messages = new CaseMessages();
  const model = new ModelCalls();
  const crops: Region[] = [];
  const marks: { clicks: number; region: Region | null }[] = [];
  const tool = new InteractiveTool({
    editor,
    messages,
    refine: model.refine,
    crop: async (region) => {
      crops.push(region);
      return new Uint8Array(G * G * 3);
    },
    onMarks: (m) => marks.push({ clicks: m.clicks.length, region: m.region }),
    ...(options.checkModel ? { checkModel: options.checkModel } : {}),
  });
  const send = (input: InteractiveInput) => editor.requestInteractive(input);
  return { editor, messages, model, crops, marks, tool, send };
}

/** Lets the crop and the call's promise chain run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

function count(data: Uint8Array, x0: number, y0: number, x1: number, y1: number): number {
  let n = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) n += data[y * W + x]!;
  return n;
}

describe('InteractiveTool', () => {
  it('a box re-segments inside it only, as one undo step; undo takes the box away again and redo brings it back', async () => {
    // A mask outside the box (kept) and one inside it (replaced by the answer).
    const mask = new Uint8Array(W * H);
    for (let y = 0; y < 10; y++) mask.fill(1, y * W, y * W + 10);
    for (let y = 40; y < 50; y++) mask.fill(1, y * W + 100, y * W + 110);
    const { editor, model, crops, tool, send } = setup({ mask });
    editor.setTool('box');
    send({ kind: 'box', x0: 59.6, y0: 20.2, x1: 160.4, y1: 80 });
    await settle();
    expect(tool.region).toEqual({ x0: 59, y0: 20, x1: 161, y1: 80 });
    expect(crops).toEqual([{ x0: 59, y0: 20, x1: 161, y1: 80 }]);
    const { request } = model.requests[0]!;
    expect(request.clicks).toEqual([]);
    // The current mask over the box, on the grid: the 10 x 10 square inside it shows up.
    expect(request.prev!.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    expect(tool.busy).toBe(true);

    model.requests[0]!.answer(leftHalf());
    await settle();
    expect(tool.busy).toBe(false);
    expect(count(editor.raster.data, 0, 0, 10, 10)).toBe(100);
    // The box's left half is lesion now, its right half (where the square was) skin.
    expect(count(editor.raster.data, 59, 20, 110, 80)).toBe(51 * 60);
    expect(count(editor.raster.data, 110, 20, 161, 80)).toBe(0);
    expect(count(editor.raster.data, 0, 0, W, H)).toBe(100 + 51 * 60);
    expect(editor.history.undoEntries).toHaveLength(1);
    expect(editor.history.undoLabel).toBe('Box');

    editor.undo();
    expect(tool.region).toBeNull();
    expect(count(editor.raster.data, 100, 40, 110, 50)).toBe(100);
    editor.redo();
    expect(tool.region).toEqual({ x0: 59, y0: 20, x1: 161, y1: 80 });
    expect(count(editor.raster.data, 0, 0, W, H)).toBe(100 + 51 * 60);
  });

  it('"only this lesion" clears the mask outside the box in the same step', async () => {
    const mask = new Uint8Array(W * H);
    for (let y = 0; y < 10; y++) mask.fill(1, y * W, y * W + 10);
    const { editor, model, tool, send } = setup({ mask });
    tool.onlyThisLesion = true;
    send({ kind: 'box', x0: 50, y0: 20, x1: 150, y1: 80 });
    await settle();
    model.requests[0]!.answer(everywhere(255));
    await settle();
    expect(count(editor.raster.data, 0, 0, W, H)).toBe(100 * 60);
    expect(editor.history.undoEntries).toHaveLength(1);
    editor.undo();
    expect(count(editor.raster.data, 0, 0, W, H)).toBe(100);
  });

  it('each click re-runs the model with every click so far on one fixed region, one undo step per click, and undo takes its dot away', async () => {
    const { editor, model, crops, tool, send } = setup();
    editor.setTool('click');
    send({ kind: 'click', x: 100.7, y: 50.2, positive: true });
    await settle();
    const region = tool.region!;
    // Grown around the click: at least 64 pixels a side, inside the image.
    expect(region.x1 - region.x0).toBeGreaterThanOrEqual(64);
    expect(region.x0 <= 100 && 100 < region.x1 && region.y0 <= 50 && 50 < region.y1).toBe(true);
    model.requests[0]!.answer(everywhere(255));
    await settle();
    const filled = count(editor.raster.data, 0, 0, W, H);
    expect(filled).toBe((region.x1 - region.x0) * (region.y1 - region.y0));

    send({ kind: 'click', x: region.x0 + 2, y: region.y0 + 2, positive: false });
    await settle();
    expect(tool.region).toEqual(region);
    const second = model.requests[1]!.request;
    expect(second.clicks.map((c) => c.positive)).toEqual([true, false]);
    // Pixel centres land on the grid: u = (x + 0.5 - x0) * 256 / w - 0.5.
    expect(second.clicks[0]!.u).toBeCloseTo(((100.5 - region.x0) * G) / (region.x1 - region.x0) - 0.5, 9);
    // The previous answer is the prev of this one.
    expect(second.prev!.every((v) => v === 1)).toBe(true);
    // The region's crop is made once for the whole run of clicks.
    expect(crops).toHaveLength(1);
    model.requests[1]!.answer(leftHalf());
    await settle();
    expect(editor.history.undoEntries.map((e) => e.label)).toEqual(['Click (lesion)', 'Click (skin)']);
    expect(tool.clicks).toHaveLength(2);

    editor.undo();
    expect(tool.clicks).toHaveLength(1);
    expect(count(editor.raster.data, 0, 0, W, H)).toBe(filled);
    editor.undo();
    expect(tool.clicks).toHaveLength(0);
    expect(tool.region).toBeNull();
    expect(count(editor.raster.data, 0, 0, W, H)).toBe(0);
  });

  it('a newer click supersedes the request still in flight: its answer is never pasted', async () => {
    const { editor, model, tool, send } = setup();
    send({ kind: 'click', x: 100, y: 50, positive: true });
    await settle();
    send({ kind: 'click', x: 110, y: 55, positive: true });
    await settle();
    expect(model.requests[1]!.request.clicks).toHaveLength(2);
    model.requests[1]!.answer(leftHalf());
    await settle();
    const after = editor.raster.data.slice();
    model.requests[0]!.answer(everywhere(255));
    await settle();
    expect(editor.raster.data).toEqual(after);
    expect(editor.history.undoEntries).toHaveLength(1);
    expect(tool.busy).toBe(false);
  });

  it('an answer that flips no pixel makes no undo step and says so', async () => {
    const { editor, model, messages, tool, send } = setup();
    send({ kind: 'click', x: 100, y: 50, positive: false });
    await settle();
    model.requests[0]!.answer(everywhere(0));
    await settle();
    expect(editor.history.canUndo).toBe(false);
    expect(tool.answered).toBe(1);
    expect(messages.notice).toMatch(/answer to this click is the mask already shown/);
  });

  it('a click outside the image changes nothing and says so', async () => {
    const { editor, model, messages, tool, send } = setup();
    send({ kind: 'click', x: -3, y: 50, positive: true });
    send({ kind: 'click', x: 50, y: 100, positive: false });
    await settle();
    expect(model.requests).toHaveLength(0);
    expect(tool.clicks).toHaveLength(0);
    expect(editor.history.canUndo).toBe(false);
    expect(messages.notice).toMatch(/click at 50, 100 is outside the 200 x 100 image/);
    // The next gesture ends that notice; one another part wrote meanwhile stays.
    send({ kind: 'click', x: 50, y: 50, positive: true });
    expect(messages.notice).toBeNull();
    send({ kind: 'click', x: -1, y: 0, positive: true });
    messages.notice = 'Updated to the version Dr Ana Silva saved at 14:05';
    send({ kind: 'clear' });
    expect(messages.notice).toBe('Updated to the version Dr Ana Silva saved at 14:05');
  });

  it('a box outside the image, or too small, changes nothing and says so', async () => {
    const { model, messages, send } = setup();
    send({ kind: 'box', x0: 210, y0: 10, x1: 300, y1: 50 });
    expect(messages.notice).toMatch(/Nothing changed: the box lies outside the 200x100 image/);
    send({ kind: 'box', x0: 10, y0: 10, x1: 14, y1: 50 });
    expect(messages.notice).toMatch(/smaller than 8x8/);
    await settle();
    expect(model.requests).toHaveLength(0);
  });

  it('an answer that comes back after the mask was edited is dropped with a notice, not pasted over the edit', async () => {
    const { editor, model, messages, send } = setup();
    send({ kind: 'box', x0: 50, y0: 20, x1: 150, y1: 80 });
    await settle();
    editor.setTool('brush');
    editor.setTool('box');
    // Switching away cleared the run; a new box, then a brush stroke while it runs.
    send({ kind: 'box', x0: 50, y0: 20, x1: 150, y1: 80 });
    await settle();
    editor.setTool('brush');
    const event = (x: number, y: number): EditorPointerEvent => ({ x, y, button: 0, altKey: false, shiftKey: false, ctrlKey: false, metaKey: false });
    editor.pointerDown(event(10, 10));
    editor.pointerUp(event(10, 10));
    const afterStroke = editor.raster.data.slice();
    for (const { answer } of model.requests) answer(everywhere(255));
    await settle();
    expect(editor.raster.data).toEqual(afterStroke);
    expect(editor.history.undoLabel).toBe('Brush stroke');
    // Switching to the brush ended the run: its answer is dropped quietly.
    expect(messages.notice).toBeNull();
  });

  it('an edit made while the model answers (same tool) makes the answer stale: dropped with a notice', async () => {
    const { editor, model, messages, send } = setup();
    send({ kind: 'box', x0: 50, y0: 20, x1: 150, y1: 80 });
    await settle();
    editor.fillHoles();
    editor.invert();
    const before = editor.raster.data.slice();
    model.requests[0]!.answer(everywhere(0));
    await settle();
    expect(editor.raster.data).toEqual(before);
    expect(messages.notice).toMatch(/mask changed while the model was answering/);
  });

  it('Box and Click share a run; Escape or another tool clears the dots and drops the request in flight', async () => {
    const { editor, model, tool, marks, send } = setup();
    editor.setTool('box');
    send({ kind: 'box', x0: 50, y0: 20, x1: 150, y1: 80 });
    await settle();
    model.requests[0]!.answer(everywhere(255));
    await settle();
    editor.setTool('click');
    send({ kind: 'click', x: 60, y: 30, positive: false });
    await settle();
    // The click refines the box: same region, the box's kind.
    expect(tool.region).toEqual({ x0: 50, y0: 20, x1: 150, y1: 80 });
    expect(tool.regionKind).toBe('box');
    send({ kind: 'clear' });
    expect(tool.clicks).toHaveLength(0);
    expect(tool.region).toBeNull();
    expect(marks.at(-1)).toEqual({ clicks: 0, region: null });
    const before = editor.raster.data.slice();
    model.requests[1]!.answer(everywhere(0));
    await settle();
    expect(editor.raster.data).toEqual(before);

    send({ kind: 'click', x: 60, y: 30, positive: true });
    editor.setTool('lasso');
    expect(tool.clicks).toHaveLength(0);
  });

  it('works on an image smaller than the click region: the region is clamped to the image', async () => {
    const editor = new EditorDocument(40, 30);
    const model = new ModelCalls();
    const tool = new InteractiveTool({ editor, messages: new CaseMessages(), refine: model.refine, crop: async () => new Uint8Array(G * G * 3) });
    editor.requestInteractive({ kind: 'click', x: 39.9, y: 29.9, positive: true });
    await settle();
    // 64 px about the click, clamped: the image's last 32 columns and all its rows.
    expect(tool.region).toEqual({ x0: 8, y0: 0, x1: 40, y1: 30 });
    expect(model.requests[0]!.request.clicks[0]!.u).toBeLessThanOrEqual(G - 0.5);
    model.requests[0]!.answer(everywhere(255));
    await settle();
    expect(editor.raster.area()).toBe(32 * 30);
  });

  it('a click outside the box refines nothing and says so', async () => {
    const { model, messages, send } = setup();
    send({ kind: 'box', x0: 50, y0: 20, x1: 150, y1: 80 });
    send({ kind: 'click', x: 10, y: 10, positive: true });
    await settle();
    expect(model.requests).toHaveLength(1);
    expect(messages.notice).toMatch(/outside the box/);
  });

  it('a failed call is a problem line; the mask stays', async () => {
    const { editor, model, messages, tool, send } = setup();
    send({ kind: 'click', x: 100, y: 50, positive: true });
    await settle();
    model.requests[0]!.fail(new Error('No interactive model is installed'));
    await settle();
    expect(messages.problem).toBe('The interactive model did not answer: No interactive model is installed');
    expect(tool.busy).toBe(false);
    expect(editor.raster.area()).toBe(0);
  });

  it('without an interactive model the tools are off, with the reason; a fine-tuned automatic model does not turn them off', async () => {
    const automatic = { card: { name: 'scsonet-isic2017', kind: 'automatic' } };
    const fineTuned = { card: { name: 'scsonet-isic2017', version: '1.1.0', parent: 'scsonet-isic2017@1.0.0' } };
    const interactive = { card: { name: 'scsonet-interactive', kind: 'interactive' } };
    expect(interactiveModelProblem([automatic, fineTuned])).toMatch(/No interactive model is installed/);
    expect(interactiveModelProblem([automatic, fineTuned, interactive])).toBeNull();

    const { editor, messages, tool, send } = setup({ checkModel: async () => interactiveModelProblem([automatic]) });
    await settle();
    expect(tool.unavailable).toMatch(/No interactive model/);
    // Every listener hears the choice of Click, then the way back to the brush, in that order.
    const heard: string[] = [];
    editor.onChange((change) => change.kind === 'tool' && heard.push(change.toolId));
    editor.setTool('click');
    await settle();
    expect(editor.activeToolId).toBe('brush');
    expect(heard).toEqual(['click', 'brush']);
    expect(messages.problem).toMatch(/No interactive model/);
    send({ kind: 'click', x: 100, y: 50, positive: true });
    expect(tool.clicks).toHaveLength(0);
  });
});
