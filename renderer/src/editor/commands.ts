/**
 * Every keyboard action of the editor as a declared command object (id, title, keybindings,
 * run), so the shortcut sheet, menus and the key handler read one list. The UI may register
 * its own (zoom to fit, 1:1) on the document.
 */
import type { EditorDocument } from './document.js';
import { matchesKeybinding, sameKeyPress } from './keybindings.js';
import type { EditorKeyEvent, ToolId } from './tools/tool.js';

export interface CommandContext {
  readonly document: EditorDocument;
  /** Asks the UI to show the shortcut sheet. */
  showShortcutSheet(): void;
}

export interface EditorCommand {
  /** Stable id ('editor.undo'), for menus and tests. */
  readonly id: string;
  /** What the shortcut sheet shows. */
  readonly title: string;
  /** A short name for a toolbar button ("Fill"), where the title is too long; else the title. */
  readonly label?: string;
  /** Keybinding strings (see keybindings.ts); the first is the one shown. */
  readonly keybindings: readonly string[];
  run(context: CommandContext): void;
}

function toolCommand(toolId: ToolId, title: string, key: string, label: string): EditorCommand {
  return { id: `tool.${toolId}`, title, label, keybindings: [key], run: ({ document }) => document.setTool(toolId) };
}

/** The editor's built-in commands. */
export const editorCommands: readonly EditorCommand[] = [
  { id: 'editor.undo', title: 'Undo', keybindings: ['Mod+Z'], run: ({ document }) => void document.undo() },
  { id: 'editor.redo', title: 'Redo', keybindings: ['Mod+Shift+Z', 'Mod+Y'], run: ({ document }) => void document.redo() },
  toolCommand('brush', 'Brush', 'B', 'Brush'),
  toolCommand('eraser', 'Eraser', 'E', 'Eraser'),
  toolCommand('polygon', 'Polygon (Alt subtracts)', 'P', 'Polygon'),
  toolCommand('lasso', 'Lasso (Alt subtracts)', 'L', 'Lasso'),
  toolCommand('flood-fill', 'Flood fill (Alt erases)', 'F', 'Fill'),
  toolCommand('box', 'Box: drag around the lesion, the model re-segments inside', 'X', 'Box'),
  toolCommand('click', 'Click: lesion; Alt-click or right button: skin (the model re-segments; Esc clears the clicks)', 'C', 'Click'),
  { id: 'brush.smaller', title: 'Smaller brush', keybindings: ['['], run: ({ document }) => document.stepBrushSize(-1) },
  { id: 'brush.larger', title: 'Larger brush', keybindings: [']'], run: ({ document }) => document.stepBrushSize(1) },
  { id: 'mask.fillHoles', title: 'Fill holes', keybindings: ['H'], run: ({ document }) => void document.fillHoles() },
  { id: 'mask.keepLargest', title: 'Keep largest region', keybindings: ['K'], run: ({ document }) => void document.keepLargestRegion() },
  { id: 'mask.removeIslands', title: 'Remove small islands', keybindings: ['Shift+K'], run: ({ document }) => void document.removeIslands() },
  { id: 'mask.smooth', title: 'Smooth outline', keybindings: ['S'], run: ({ document }) => void document.smooth() },
  { id: 'mask.grow', title: 'Grow by one pixel', keybindings: ['G'], run: ({ document }) => void document.grow() },
  { id: 'mask.shrink', title: 'Shrink by one pixel', keybindings: ['Shift+G'], run: ({ document }) => void document.shrink() },
  { id: 'mask.invert', title: 'Invert mask', keybindings: ['Mod+I'], run: ({ document }) => void document.invert() },
  { id: 'mask.clear', title: 'Clear mask', keybindings: ['Shift+Delete'], run: ({ document }) => void document.clear() },
  { id: 'help.shortcuts', title: 'Keyboard shortcuts', keybindings: ['?'], run: (context) => context.showShortcutSheet() },
];

/** The first command with a keybinding that matches `event`. */
export function findCommand(commands: readonly EditorCommand[], event: EditorKeyEvent): EditorCommand | undefined {
  return commands.find((command) => command.keybindings.some((binding) => matchesKeybinding(binding, event)));
}

/**
 * Pairs of commands that claim the same key press: only the first of each pair would ever run,
 * so a new shortcut must leave this empty (the case view checks its own commands with it).
 */
export function keybindingConflicts(commands: readonly EditorCommand[]): [EditorCommand, EditorCommand, string][] {
  const conflicts: [EditorCommand, EditorCommand, string][] = [];
  commands.forEach((a, i) => {
    for (const b of commands.slice(i + 1)) {
      const binding = a.keybindings.find((x) => b.keybindings.some((y) => sameKeyPress(x, y)));
      if (binding !== undefined) conflicts.push([a, b, binding]);
    }
  });
  return conflicts;
}
