/**
 * The case list as a mounted component, in Chromium: keyboard opening while background writes
 * (pre-annotation, re-prediction) drop the list's cached pages. A `.svelte.ts` module so the
 * props can be runes state, changed the way the shell changes them.
 */
import { flushSync, mount, unmount } from 'svelte';
import { afterEach, describe, expect, it } from 'vitest';
import type { CasePage, CaseQuery, CaseRecord } from '../storage/index.ts';
import CaseList from './CaseList.svelte';

function record(i: number): CaseRecord {
  return {
    id: `case-${i}`,
    fileName: `ISIC_${String(24300 + i).padStart(7, '0')}.jpg`,
    status: 'predicted',
    createdAt: 1_000 + i,
    updatedAt: 1_000 + i,
    assignee: null,
    uncertainty: 0.1,
    latestVersionId: null,
    activeModel: 'scsonet@1.0.0',
    hasCorrection: false,
    width: 720,
    height: 540,
    pixelsPerMm: null,
  };
}

/** Twenty cases; page reads can be held back, as a busy IndexedDB holds them. */
class HeldSource {
  readonly cases = Array.from({ length: 20 }, (_, i) => record(i));
  private held: (() => void)[] = [];
  holding = false;
  reads = 0;

  async listCases(query: CaseQuery): Promise<CasePage> {
    this.reads++;
    if (this.holding) await new Promise<void>((resolve) => this.held.push(resolve));
    const offset = query.offset ?? 0;
    return { cases: this.cases.slice(offset, offset + (query.limit ?? 50)), total: this.cases.length };
  }

  async getThumbnail(): Promise<Blob | undefined> {
    return undefined;
  }

  release(): void {
    this.holding = false;
    for (const resolve of this.held.splice(0)) resolve();
  }
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  if (!condition()) throw new Error(`timed out waiting for ${what}`);
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

let mounted: ReturnType<typeof mount> | null = null;
afterEach(() => {
  if (mounted) unmount(mounted);
  mounted = null;
  document.body.innerHTML = '';
});

function mountList(source: HeldSource) {
  const opened: string[] = [];
  const props = $state({
    source,
    query: { sort: 'date' } as CaseQuery,
    revision: 0,
    selectedId: 'case-0' as string | null,
    onselect: (id: string) => (props.selectedId = id),
    onopen: (id: string) => opened.push(id),
  });
  const target = document.createElement('div');
  target.style.height = '600px';
  target.style.display = 'flex';
  document.body.append(target);
  mounted = mount(CaseList, { target, props });
  const list = target.querySelector<HTMLElement>('[data-testid="case-list"]')!;
  const press = (key: string) => list.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true }));
  return { props, opened, list, press };
}

describe('case list keyboard', () => {
  it('Enter opens the highlighted case while a background write is re-reading the pages', async () => {
    const source = new HeldSource();
    const { props, opened, list, press } = mountList(source);
    await until(() => list.querySelectorAll('[data-testid="case-item"]').length >= 3, 'the rows');
    press('j');
    await until(() => props.selectedId === 'case-1', 'the move down');

    // A write elsewhere: the shell bumps the revision and the list drops its pages; the re-read is slow.
    source.holding = true;
    props.revision++;
    flushSync();
    await settle();
    press('Enter');
    await settle();
    expect(opened).toEqual(['case-1']);
    source.release();
    await settle();
    expect(opened).toEqual(['case-1']);
  });

  it('Enter right after a move opens the case moved to, once its row is read', async () => {
    const source = new HeldSource();
    const { props, opened, list, press } = mountList(source);
    await until(() => list.querySelectorAll('[data-testid="case-item"]').length >= 3, 'the rows');

    source.holding = true;
    props.revision++;
    flushSync();
    await settle();
    press('j');
    press('j');
    press('Enter');
    await settle();
    // Nothing is opened on a guess while the rows are unread.
    expect(opened).toEqual([]);
    source.release();
    await until(() => opened.length > 0, 'the case to open');
    await settle();
    expect(props.selectedId).toBe('case-2');
    expect(opened).toEqual(['case-2']);
  });

  it('Enter with nothing selected opens nothing; a key with a modifier is left to the shell', async () => {
    const source = new HeldSource();
    const { props, opened, list, press } = mountList(source);
    props.selectedId = null;
    await until(() => list.querySelectorAll('[data-testid="case-item"]').length >= 3, 'the rows');
    press('Enter');
    list.dispatchEvent(new KeyboardEvent('keydown', { key: 'j', ctrlKey: true, bubbles: true }));
    await settle();
    expect(opened).toEqual([]);
    expect(props.selectedId).toBeNull();
  });
});
