import { describe, expect, it, vi } from 'vitest';
import { EditorDocument, MaskRaster, traceOutlines } from '../../editor/index.ts';
import { CaseDisplay } from './case-display.svelte.ts';
import type { CaseStage } from './case-stage.ts';

function setup() {
  const editor = new EditorDocument(10, 10);
  const stage = { setViewMode: vi.fn(), setOpacity: vi.fn(), setMaskOutline: vi.fn() };
  const replies: (() => void)[] = [];
  const analyser = {
    measure: vi.fn(),
    outline: vi.fn(
      (width: number, height: number, mask: Uint8Array) =>
        new Promise<ReturnType<typeof traceOutlines>>((resolve) => replies.push(() => resolve(traceOutlines(new MaskRaster(width, height, mask.slice()))))),
    ),
  };
  const timers: (() => void)[] = [];
  const frames: (() => void)[] = [];
  const context = { caseId: 'c', editor, analyser, stage: stage as unknown as CaseStage, messages: {} as never, facts: {} as never, size: { width: 10, height: 10 } };
  const display = new CaseDisplay(context, {
    later: (task) => {
      timers.push(task);
      return () => timers.splice(timers.indexOf(task), 1);
    },
    afterFrame: (task) => frames.push(task),
  });
  const run = (list: (() => void)[]): void => list.splice(0).forEach((task) => task());
  const reply = async (): Promise<void> => {
    replies.shift()?.();
    await Promise.resolve();
    await Promise.resolve();
  };
  return { editor, stage, analyser, display, timers, frames, run, reply };
}

describe('CaseDisplay', () => {
  it('O cycles fill, outline, both; an outline is traced as soon as it is shown', async () => {
    const { stage, display, timers, run, reply } = setup();
    display.cycleViewMode();
    expect(display.viewMode).toBe('outline');
    expect(stage.setViewMode).toHaveBeenLastCalledWith('outline');
    run(timers);
    await reply();
    expect(stage.setMaskOutline).toHaveBeenCalledWith([]);
    display.cycleViewMode();
    display.cycleViewMode();
    expect(display.viewMode).toBe('fill');
  });

  it('the outline follows an edit after its frame; an outline of an older mask is not drawn', async () => {
    const { editor, stage, display, timers, frames, run, reply } = setup();
    display.setViewMode('both');
    run(timers);
    editor.invert();
    display.maskChanged();
    // The reply for the mask before the edit arrives after it: dropped.
    await reply();
    expect(stage.setMaskOutline).not.toHaveBeenCalled();
    run(frames);
    run(timers);
    await reply();
    expect(stage.setMaskOutline).toHaveBeenCalledTimes(1);
    expect(stage.setMaskOutline.mock.calls[0]![0]).toHaveLength(1);
  });

  it('filled, an edit traces nothing; dispose() cancels an outline scheduled', () => {
    const { display, frames, timers, analyser } = setup();
    display.maskChanged();
    expect(frames).toHaveLength(0);
    display.setViewMode('outline');
    expect(timers).toHaveLength(1);
    display.dispose();
    expect(timers).toHaveLength(0);
    expect(analyser.outline).not.toHaveBeenCalled();
  });

  it('opacity and zoom: the stage takes the opacity, the viewport gives the zoom', () => {
    const { stage, display } = setup();
    display.setOpacity(0.7);
    expect(stage.setOpacity).toHaveBeenCalledWith(0.7);
    display.viewportChanged({ scale: 0.25, x: 10, y: -4 });
    expect(display.zoom).toBe(0.25);
    expect(display.viewportText).toBe('0.25 10 -4');
  });
});
