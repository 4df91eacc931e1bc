/**
 * Keyboard navigation of the case list: up/down and j/k move, Home/End jump, PageUp/PageDown move
 * by a screen, Enter opens. Kept apart from the component so the mapping is unit-tested.
 */

/** What a key does in the list. */
export type ListMove = { kind: 'move'; index: number } | { kind: 'open' };

/** The subset of a KeyboardEvent the mapping reads. */
export interface ListKey {
  key: string;
  ctrlKey?: boolean;
  metaKey?: boolean;
  altKey?: boolean;
}

/**
 * The list action for a key, given the selected row (-1 = none), the row count and how many
 * rows fit on a screen; null when the key is not the list's.
 */
export function listMoveForKey(event: ListKey, selected: number, total: number, pageRows: number): ListMove | null {
  if (event.ctrlKey || event.metaKey || event.altKey || total === 0) return null;
  const clamp = (i: number) => Math.max(0, Math.min(total - 1, i));
  switch (event.key) {
    case 'ArrowDown':
    case 'j':
      return { kind: 'move', index: selected < 0 ? 0 : clamp(selected + 1) };
    case 'ArrowUp':
    case 'k':
      return { kind: 'move', index: selected < 0 ? 0 : clamp(selected - 1) };
    case 'Home':
      return { kind: 'move', index: 0 };
    case 'End':
      return { kind: 'move', index: total - 1 };
    case 'PageDown':
      return { kind: 'move', index: clamp(Math.max(0, selected) + Math.max(1, pageRows - 1)) };
    case 'PageUp':
      return { kind: 'move', index: clamp(Math.max(0, selected) - Math.max(1, pageRows - 1)) };
    case 'Enter':
      return selected >= 0 ? { kind: 'open' } : null;
    default:
      return null;
  }
}
