/**
 * The Box and Click tools' state: the clicks so far, the region the model works on, the request
 * in flight, and the steps they made, for one open case. The tools (editor/tools/box-tool.ts,
 * click-tool.ts) only recognise gestures; this class turns each into one interactive step:
 *
 *   region   the person's box, or (clicks without a box) the region grown around the clicks and
 *            the mask within their reach (regionFromClicks' rule, interactive-region.ts); it stays
 *            fixed for a run of clicks until a new box, Escape, or a tool other than Box/Click
 *   request  the region's pixels as a 256 x 256 RGB crop (made where the decoded image is:
 *            `crop`, see interactive-crop.ts), every click so far in grid coordinates and the
 *            current mask sampled onto the grid as `prev` -> refineRegion in main
 *   answer   pasted back into the region only (bilinear, thresholded), as one undo step through
 *            the editor document, so the journal, autosave and the history see it as any edit;
 *            with "only this lesion" a box also clears the mask outside it
 *
 * A newer click supersedes a request still in flight (its answer is dropped; the newer one
 * carries every click). An answer that comes back after the mask was edited meanwhile is dropped
 * with a notice rather than pasted over that edit. Undoing a step takes its clicks off the image
 * again, redoing puts them back.
 *
 * No Konva and no Dexie here: the crop and the model call are injected, the dots are drawn by
 * whoever listens to `onMarks` (EditorStage).
 */
import {
  boxProblem,
  clickInside,
  clicksToGrid,
  maxInteractiveClicks,
  regionFromBox,
  samplePrev,
  type GridClick,
  type ImageClick,
  type Region,
} from '../../../../preload/api.ts';
import { interactiveToolIds, type EditorDocument, type HistoryEntry, type HistoryEvent, type InteractiveInput, type MaskRaster, type Rect, type ToolId, unionRect } from '../../editor/index.ts';
import { errorMessage } from '../../lib/format.ts';
import { clearOutsideRegion, pasteProbabilityCells } from '../interactive-paste.ts';
import { clickRegion } from '../interactive-region.ts';
import type { CaseMessages } from './case-messages.svelte.ts';

/** What refineRegion takes (the contract's arguments). */
export interface InteractiveRequest {
  readonly image: Uint8Array;
  readonly clicks: GridClick[];
  readonly prev: Uint8Array | null;
}

/** What refineRegion answers. */
export interface InteractiveReply {
  readonly prob: Uint8Array;
  readonly threshold: number;
  readonly model: { readonly name: string; readonly version: string };
  readonly inferMs: number;
}

/** The dots and the region to draw over the image. */
export interface InteractiveMarks {
  readonly clicks: readonly ImageClick[];
  readonly region: Region | null;
}

/** Where one step's time went (shown under the image; the benchmark reads it too). */
export interface InteractiveTiming {
  /** Cropping and resizing the region to 256 x 256 (0 when the region's crop was cached). */
  readonly cropMs: number;
  /** The call to main and back, the model's own time included. */
  readonly callMs: number;
  readonly inferMs: number;
  /** Pasting the answer into the mask, one undo step. */
  readonly pasteMs: number;
}

export interface InteractiveToolOptions {
  readonly editor: EditorDocument;
  readonly messages: CaseMessages;
  /** The interactive model (api.refineRegion). */
  readonly refine: (request: InteractiveRequest) => Promise<InteractiveReply>;
  /** The region's pixels, resized to 256 x 256 RGB, from the decoded image (never 24 MP through a message). */
  readonly crop: (region: Region) => Promise<Uint8Array>;
  /** Why the tools cannot run (no interactive model installed), or null; asked once, at the start. */
  readonly checkModel?: () => Promise<string | null>;
  /** Called whenever the dots or the region change. */
  readonly onMarks?: (marks: InteractiveMarks) => void;
  readonly now?: () => number;
}

type RegionKind = 'box' | 'clicks';

/** The clicks and the region, as of one step. */
interface Marks {
  readonly clicks: readonly ImageClick[];
  readonly region: Region | null;
  readonly kind: RegionKind | null;
}

const noMarks: Marks = { clicks: [], region: null, kind: null };

export class InteractiveTool {
  /** Every click of the current run, in image pixels. */
  clicks = $state.raw<readonly ImageClick[]>([]);
  /** The region the model re-segments, or null before the first box or click. */
  region = $state.raw<Region | null>(null);
  /** Where the region came from: the person's box, or grown around the clicks. */
  regionKind = $state<RegionKind | null>(null);
  /** A box clears the mask outside it ("only this lesion"); otherwise the mask outside is kept. */
  onlyThisLesion = $state(false);
  /** A request is in flight. */
  busy = $state(false);
  /** Why the tools cannot be used (no interactive model), or null when they can. */
  unavailable = $state<string | null>(null);
  /** The interactive model that answered last. */
  model = $state.raw<{ name: string; version: string } | null>(null);
  lastTiming = $state.raw<InteractiveTiming | null>(null);
  /** Answers pasted so far (a step that changed no pixel counts too: the model did answer). */
  answered = $state(0);

  private readonly options: InteractiveToolOptions;
  private readonly editor: EditorDocument;
  private readonly now: () => number;
  private readonly unsubscribe: () => void;
  /** Numbers the requests: only the latest one's answer is used. */
  private request = 0;
  /** The crop of the current region (the same for every click of a run). */
  private cropCache: { key: string; image: Promise<Uint8Array> } | null = null;
  /** The marks as of the last step that reached the mask (an undo goes back to the one before). */
  private committed: Marks = noMarks;
  /** Set while this class's own paste is being committed, to pair the history entry with its marks. */
  private applying: Marks | null = null;
  private readonly steps: { entry: HistoryEntry; before: Marks; after: Marks }[] = [];
  private readonly undone: { entry: HistoryEntry; before: Marks; after: Marks }[] = [];
  /** The notice this class showed last (cleared by the next gesture, unless another part replaced it). */
  private said: string | null = null;
  /** The last tool that is not Box or Click (to go back to when the tools cannot be used). */
  private otherTool: ToolId;

  constructor(options: InteractiveToolOptions) {
    this.options = options;
    this.editor = options.editor;
    this.now = options.now ?? (() => performance.now());
    this.otherTool = interactiveToolIds.includes(this.editor.activeToolId) ? 'brush' : this.editor.activeToolId;
    if (options.checkModel) {
      // Usable until the check says otherwise: a click before the answer still gets main's own
      // refusal (no interactive model) as its problem line, and nothing waits on the check.
      options.checkModel().then(
        (reason) => this.setAvailability(reason),
        (error: unknown) => this.setAvailability(`The Box and Click tools are off: the installed models could not be listed (${errorMessage(error)}).`),
      );
    }
    this.unsubscribe = this.editor.onChange((change) => {
      if (change.kind === 'interactive') this.handle(change.input);
      else if (change.kind === 'tool') this.onTool(change.toolId);
      else if (change.kind === 'history') this.onHistory(change.event);
    });
  }

  /** Whether the tools can be used; `reason` says why not (shown on the disabled buttons). */
  setAvailability(reason: string | null): void {
    this.unavailable = reason;
    if (reason) this.leaveInteractiveTool();
  }

  /**
   * Goes back to the last other tool when Box or Click is chosen but cannot run. After the
   * current change has reached every listener: switching inside it would let the view hear
   * "box" after "brush" and show a tool the document no longer has.
   */
  private leaveInteractiveTool(): void {
    queueMicrotask(() => {
      if (this.unavailable && interactiveToolIds.includes(this.editor.activeToolId)) this.editor.setTool(this.otherTool);
    });
  }

  /** A box or a click from the tools (or Escape's clear). */
  handle(input: InteractiveInput): void {
    // A new gesture: what this class said about the last one is over.
    if (this.said !== null && this.options.messages.notice === this.said) this.options.messages.notice = null;
    this.said = null;
    if (input.kind === 'clear') {
      this.clear();
      return;
    }
    if (this.unavailable) {
      this.options.messages.problem = this.unavailable;
      return;
    }
    const { width, height } = this.editor.raster;
    if (input.kind === 'box') {
      const box = { x0: Math.floor(input.x0), y0: Math.floor(input.y0), x1: Math.ceil(input.x1), y1: Math.ceil(input.y1) };
      const problem = boxProblem(box, width, height);
      if (problem) {
        this.say(`Nothing changed: the ${problem.replace(/^box [-\d,]+ /, 'box ')}.`);
        return;
      }
      this.forget();
      this.setMarks({ clicks: [], region: regionFromBox(box, width, height), kind: 'box' });
      void this.run('Box');
      return;
    }
    const click = { x: Math.floor(input.x), y: Math.floor(input.y), positive: input.positive };
    if (!clickInside(click, width, height)) {
      this.say(`Nothing changed: the click at ${click.x}, ${click.y} is outside the ${width} x ${height} image.`);
      return;
    }
    if (this.region && !insideRegion(click, this.region)) {
      this.say(
        this.regionKind === 'box'
          ? 'Nothing changed: the click is outside the box. Draw a new box, or press Escape to start again.'
          : 'Nothing changed: the click is outside the region being worked (dashed). Press Escape to start a new one there.',
      );
      return;
    }
    if (this.clicks.length >= maxInteractiveClicks) {
      this.say(`Nothing changed: at most ${maxInteractiveClicks} clicks refine one region. Press Escape to start again, or finish with the brush.`);
      return;
    }
    const clicks = [...this.clicks, click];
    const region = this.region ?? clickRegion(clicks, this.editor.raster);
    this.setMarks({ clicks, region, kind: this.regionKind ?? 'clicks' });
    void this.run(click.positive ? 'Click (lesion)' : 'Click (skin)');
  }

  /** Forgets the clicks and the region (Escape, another tool); a request in flight is dropped. */
  clear(): void {
    this.forget();
    this.setMarks(noMarks);
  }

  dispose(): void {
    this.request++;
    this.unsubscribe();
    this.cropCache = null;
  }

  private say(notice: string): void {
    this.said = notice;
    this.options.messages.notice = notice;
  }

  private forget(): void {
    this.request++;
    this.busy = false;
    this.cropCache = null;
    this.committed = noMarks;
    this.steps.length = 0;
    this.undone.length = 0;
  }

  private setMarks(marks: Marks): void {
    this.clicks = marks.clicks;
    this.region = marks.region;
    this.regionKind = marks.kind;
    this.options.onMarks?.({ clicks: marks.clicks, region: marks.region });
  }

  private onTool(id: ToolId): void {
    if (!interactiveToolIds.includes(id)) {
      this.otherTool = id;
      // Box and Click share a run (draw a box, then click in it); any other tool ends it.
      if (this.region || this.clicks.length > 0) this.clear();
      return;
    }
    if (this.unavailable) {
      this.options.messages.problem = this.unavailable;
      this.leaveInteractiveTool();
    }
  }

  private onHistory(event: HistoryEvent): void {
    if (event.kind === 'commit' && this.applying) {
      this.steps.push({ entry: event.entry, before: this.committed, after: this.applying });
      this.undone.length = 0;
      this.committed = this.applying;
      return;
    }
    if (event.kind === 'undo' && this.steps.at(-1)?.entry === event.entry) {
      const step = this.steps.pop()!;
      this.undone.push(step);
      this.goTo(step.before);
    } else if (event.kind === 'redo' && this.undone.at(-1)?.entry === event.entry) {
      const step = this.undone.pop()!;
      this.steps.push(step);
      this.goTo(step.after);
    }
  }

  /** The dots and region of a step that an undo or redo brought back; a request in flight is dropped. */
  private goTo(marks: Marks): void {
    this.request++;
    this.busy = false;
    if (marks.region && !sameRegion(marks.region, this.region)) this.cropCache = null;
    this.committed = marks;
    this.setMarks(marks);
  }

  private cropOf(region: Region): Promise<Uint8Array> {
    const key = `${region.x0},${region.y0},${region.x1},${region.y1}`;
    if (this.cropCache?.key !== key) this.cropCache = { key, image: this.options.crop(region) };
    return this.cropCache.image;
  }

  /** One step for the current clicks and region; only the latest request's answer is pasted. */
  private async run(label: string): Promise<void> {
    const id = ++this.request;
    const marks: Marks = { clicks: this.clicks, region: this.region, kind: this.regionKind };
    const region = marks.region!;
    const raster = this.editor.raster;
    this.busy = true;
    this.options.messages.clearProblem('The interactive model');
    try {
      const start = this.now();
      const image = await this.cropOf(region);
      if (id !== this.request) return;
      const cropped = this.now();
      // The mask as it is now; an edit made while the model answers makes the answer stale.
      const prev = samplePrev(raster, region);
      const version = raster.version;
      const reply = await this.options.refine({ image, clicks: clicksToGrid(marks.clicks, region), prev });
      if (id !== this.request) return;
      const answered = this.now();
      if (raster.version !== version) {
        this.say('The mask changed while the model was answering, so that answer was not used. Click again to re-run it.');
        return;
      }
      const clearOutside = marks.kind === 'box' && this.onlyThisLesion;
      this.applying = marks;
      let changed: Rect | null;
      try {
        changed = this.editor.applyOperation(label, (mask) => pasteInto(mask, reply, region, clearOutside));
      } finally {
        this.applying = null;
      }
      // A step that flips no pixel leaves no undo step; say so, or the click looks ignored.
      if (!changed && !this.editor.readOnly) this.say(`The model's answer to this ${label === 'Box' ? 'box' : 'click'} is the mask already shown: nothing changed.`);
      this.model = reply.model;
      this.answered++;
      this.lastTiming = { cropMs: cropped - start, callMs: answered - cropped, inferMs: reply.inferMs, pasteMs: this.now() - answered };
    } catch (error) {
      if (id === this.request) this.options.messages.problem = `The interactive model did not answer: ${errorMessage(error)}`;
    } finally {
      if (id === this.request) this.busy = false;
    }
  }
}

/**
 * Why the Box and Click tools cannot run with the models main lists (listModels), or null when an
 * interactive model is among them. The active automatic model plays no part: a fine-tuned one
 * leaves the shipped interactive model as it is.
 */
export function interactiveModelProblem(models: readonly { readonly card: Readonly<Record<string, unknown>> }[]): string | null {
  if (models.some((m) => m.card['kind'] === 'interactive')) return null;
  return 'No interactive model is installed (models/scsonet-interactive-v1.onnx), so the Box and Click tools are off. Reinstall LesionDesk or put the model back.';
}

/** The model call and the check for InteractiveToolOptions, from main's API (absent: the tools are off, saying so). */
export function interactiveService(api: { refineRegion(request: InteractiveRequest): Promise<InteractiveReply>; listModels(): Promise<readonly { readonly card: Readonly<Record<string, unknown>> }[]> } | undefined): Pick<InteractiveToolOptions, 'refine' | 'checkModel'> {
  if (!api) {
    return {
      refine: () => Promise.reject(new Error('no interactive model is reachable from this window')),
      checkModel: async () => 'The Box and Click tools are off: no interactive model is reachable from this window.',
    };
  }
  return { refine: (request) => api.refineRegion(request), checkModel: async () => interactiveModelProblem(await api.listModels()) };
}

function insideRegion(click: ImageClick, region: Region): boolean {
  return click.x >= region.x0 && click.x < region.x1 && click.y >= region.y0 && click.y < region.y1;
}

function sameRegion(a: Region | null, b: Region | null): boolean {
  return a === b || (!!a && !!b && a.x0 === b.x0 && a.y0 === b.y0 && a.x1 === b.x1 && a.y1 === b.y1);
}

/** Pastes the answer into the region (and clears outside it when asked); returns the rectangle of what flipped. */
function pasteInto(mask: MaskRaster, reply: InteractiveReply, region: Region, clearOutside: boolean): Rect | null {
  const pasted = pasteProbabilityCells(reply.prob, region, mask, reply.threshold);
  const rect = unionRect(pasted, clearOutside ? clearOutsideRegion(mask, region) : null);
  mask.markChanged(rect);
  return rect;
}
