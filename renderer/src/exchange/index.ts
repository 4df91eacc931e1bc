/**
 * Exchange: imports (files, folders, drops, ISIC layout), exports (ISIC, COCO, measurements
 * CSV) and whole-database backup. Framework-free; reaches the database only through the
 * storage module's CaseRepository.
 */
export { maskArea, masksEqual, type BinaryMask } from './binary-mask.ts';
export { chooseExportWriter, createDirectoryWriter, createZipWriter, downloadBlob, readZip, NotAZipError, type ArchiveWriter } from './archive.ts';
export {
  BackupFormatError,
  backupFileName,
  createBackup,
  inspectBackup,
  readBackup,
  readBackupContents,
  restoreBackup,
  restoreInspectedBackup,
  type BackupSummary,
  type InspectedBackup,
} from './backup.ts';
export { toCsv, csvCell, type CsvCell } from './csv.ts';
export {
  buildCocoDataset,
  exportCaseIds,
  exportCoco,
  exportIsic,
  exportMeasurementsCsv,
  type CocoAnnotation,
  type CocoDataset,
  type CocoOptions,
  type ExportReport,
  type ExportSelection,
  type MeasureMask,
} from './export.ts';
export { decodeImage, decodeMaskImage, maskToPngBlob, UndecodableImageError } from './image-codec.ts';
export { importSources, sourcesFromDataTransfer, sourcesFromFiles, type ImportOptions, type ImportProgress, type ImportReport } from './import.ts';
export { classifyPath, isicExportIds, isicExportPaths, pairImportSources, type ImportSource } from './isic.ts';
export { encodeMaskPng } from './png.ts';
export { decodeRle, encodeCompressedRle, encodeRle, rleArea, rleBbox, rleCountsFromString, rleCountsToString, type CompressedRle, type UncompressedRle } from './rle.ts';
