/**
 * The side panel as a mounted component, in Chromium: opened from the keyboard (the top bar's
 * Fine-tune or Models button), it takes the focus, and gives it back to that button on close.
 */
import { createRawSnippet, flushSync, mount, unmount } from 'svelte';
import { afterEach, expect, it } from 'vitest';
import SidePanel from './SidePanel.svelte';

afterEach(() => {
  document.body.innerHTML = '';
});

it('takes the focus when it opens and returns it to the opener when it closes', () => {
  const opener = document.createElement('button');
  opener.textContent = 'Fine-tune';
  const target = document.createElement('div');
  document.body.append(opener, target);
  opener.focus();
  const panel = mount(SidePanel, {
    target,
    props: { title: 'Fine-tune the model', testid: 'training-panel', onclose: () => {}, children: createRawSnippet(() => ({ render: () => '<p>Approved cases: 3</p>' })) },
  });
  flushSync();
  expect(document.activeElement?.textContent).toBe('Fine-tune the model');
  expect(target.querySelector('[data-testid="training-panel"]')!.contains(document.activeElement)).toBe(true);
  unmount(panel);
  flushSync();
  expect(document.activeElement).toBe(opener);
});
