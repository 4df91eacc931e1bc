/**
 * The editor core: a framework-free mask document (raster, history, tools, commands,
 * measurements). It imports no Svelte, Konva or Dexie (a lint rule enforces it); the UI draws
 * it and forwards input to EditorDocument.
 */
export * from './geometry.js';
export { MaskRaster, type OverlayColor } from './mask-raster.js';
export { MaskHistory, type HistoryEntry, type HistoryEvent } from './history.js';
export { stampSegment, fillPolygon, type FillRule } from './paint.js';
export { floodFill, fillHoles, keepLargestRegion, removeIslands, countRegions, clearMask, invertMask } from './cleanup.js';
export { dilate, erode, morphologicalOpen, morphologicalClose, smoothMask, growByOnePixel, shrinkByOnePixel } from './morphology.js';
export * from './measurements.js';
export * from './colours.js';
export * from './tools/tool.js';
export { BrushTool } from './tools/brush-tool.js';
export { PolygonTool } from './tools/polygon-tool.js';
export { LassoTool } from './tools/lasso-tool.js';
export { FloodFillTool } from './tools/flood-fill-tool.js';
export { BoxTool } from './tools/box-tool.js';
export { ClickTool } from './tools/click-tool.js';
export { editorCommands, findCommand, keybindingConflicts, type CommandContext, type EditorCommand } from './commands.js';
export { matchesKeybinding, formatKeybinding, sameKeyPress } from './keybindings.js';
export { encodeRunLengths, decodeRunLengths, runLengthArea } from './run-length.js';
export { entryDelta, entryAreaChange, applyMaskDelta, wholeMaskDelta, type MaskDelta } from './mask-delta.js';
export * from './document.js';
