/**
 * Keybinding strings in the VS Code manner: modifiers joined with '+', then the key, e.g.
 * 'Mod+Shift+Z', '[', '?'. `Mod` is Ctrl, or Cmd on macOS (either is accepted everywhere, so the
 * core needs no platform check).
 */
import type { EditorKeyEvent } from './tools/tool.js';

interface ParsedKeybinding {
  readonly key: string;
  readonly ctrlOrMeta: boolean;
  readonly shift: boolean;
  readonly alt: boolean;
}

function parse(binding: string): ParsedKeybinding {
  // Split on '+' but keep a literal '+' key ('Mod++').
  const parts = binding.endsWith('++') ? [...binding.slice(0, -2).split('+'), '+'] : binding.split('+');
  const key = parts.pop() ?? '';
  const modifiers = new Set(parts.map((m) => m.toLowerCase()));
  return {
    key: key.toLowerCase(),
    ctrlOrMeta: modifiers.has('mod') || modifiers.has('ctrl') || modifiers.has('cmd'),
    shift: modifiers.has('shift'),
    alt: modifiers.has('alt'),
  };
}

/** True when the two bindings describe the same key press ('Mod+Z' and 'Ctrl+z'; '?' and 'Shift+?'). */
export function sameKeyPress(a: string, b: string): boolean {
  const x = parse(a);
  const y = parse(b);
  if (x.key !== y.key || x.ctrlOrMeta !== y.ctrlOrMeta || x.alt !== y.alt) return false;
  // As in matchesKeybinding: a symbol's Shift belongs to the layout, not to the binding.
  return isSymbolKey(x.key) || x.shift === y.shift;
}

function isSymbolKey(key: string): boolean {
  return key.length === 1 && !/[a-z0-9]/.test(key);
}

/** True when `event` is the key press `binding` describes. */
export function matchesKeybinding(binding: string, event: EditorKeyEvent): boolean {
  const wanted = parse(binding);
  if (event.key.toLowerCase() !== wanted.key) return false;
  if ((event.ctrlKey || event.metaKey) !== wanted.ctrlOrMeta) return false;
  if (event.altKey !== wanted.alt) return false;
  // A symbol such as '?' or '{' already says whether Shift was needed on this keyboard layout;
  // only letters and named keys (Delete, Enter) treat Shift as a separate modifier.
  return isSymbolKey(wanted.key) || event.shiftKey === wanted.shift;
}

/** A keybinding as people read it: 'Ctrl+Shift+Z', or '⌘⇧Z' on macOS. */
export function formatKeybinding(binding: string, mac = false): string {
  const { key, ctrlOrMeta, shift, alt } = parse(binding);
  const keyLabel = key.length === 1 ? key.toUpperCase() : key.charAt(0).toUpperCase() + key.slice(1);
  if (mac) return `${ctrlOrMeta ? '⌘' : ''}${alt ? '⌥' : ''}${shift ? '⇧' : ''}${keyLabel}`;
  return [ctrlOrMeta ? 'Ctrl' : '', alt ? 'Alt' : '', shift ? 'Shift' : '', keyLabel].filter(Boolean).join('+');
}
