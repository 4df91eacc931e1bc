/**
 * The case view's keyboard, in one place. Every key but three is a declared command (the
 * editor's and case-commands.ts), found by the editor document's handler, which the tools, the
 * buttons and the shortcut sheet read too. The three are not commands because they are not one
 * action: Space is held to pan, Esc and ? close the shortcut sheet over everything, and Esc ends
 * the ruler before the active tool sees it.
 */
import type { EditorDocument, EditorKeyEvent } from '../../editor/index.ts';

export interface CaseKeyEvent extends EditorKeyEvent {
  readonly repeat: boolean;
  readonly target: EventTarget | null;
  readonly defaultPrevented: boolean;
}

/** What the key handler acts on (the case session). */
export interface CaseKeyTarget {
  readonly ready: boolean;
  readonly editor: EditorDocument | null;
  showShortcuts: boolean;
  setPanKeyHeld(held: boolean): void;
  /** Ends a ruler in progress; false when there is none. */
  cancelRuler(): boolean;
}

/** Whether the key press is in a text field (typing, not a shortcut). */
export function typingTarget(target: EventTarget | null): boolean {
  if (typeof HTMLElement === 'undefined' || !(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  return target instanceof HTMLInputElement && target.type !== 'range' && target.type !== 'checkbox' && target.type !== 'radio';
}

/** A key another control already acted on (the library list's j, k, Enter) or one pressed in a dialog is not the editor's. */
function handledElsewhere(event: CaseKeyEvent): boolean {
  return event.defaultPrevented || (typeof Element !== 'undefined' && event.target instanceof Element && event.target.closest('dialog') !== null);
}

/** Routes a key press; true when the case acted on it (the caller prevents the default). */
export function caseKeyDown(target: CaseKeyTarget, event: CaseKeyEvent): boolean {
  const editor = target.editor;
  if (!editor || !target.ready || typingTarget(event.target) || handledElsewhere(event)) return false;
  if (target.showShortcuts && (event.key === 'Escape' || event.key === '?')) {
    target.showShortcuts = false;
    return true;
  }
  if (event.key === ' ') {
    if (!event.repeat) target.setPanKeyHeld(true);
    return true;
  }
  if (event.key === 'Escape' && target.cancelRuler()) return true;
  return editor.keyDown(event);
}

/** Releasing Space ends panning. */
export function caseKeyUp(target: Pick<CaseKeyTarget, 'setPanKeyHeld'>, event: Pick<KeyboardEvent, 'key'>): void {
  if (event.key === ' ') target.setPanKeyHeld(false);
}
