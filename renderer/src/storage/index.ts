/**
 * Storage: the only module that imports Dexie (an ESLint rule enforces it). Everything else
 * goes through `CaseRepository`.
 */
export { CaseRepository, defaultDatabaseName, openCaseRepository, sha256Hex } from './case-repository.ts';
export { latestSchemaVersion } from './database.ts';
export { isStalePrediction } from './stale.ts';
export { allowedTransitions, canTransition, statusLabel, transitionProblem } from './workflow.ts';
export * from './types.ts';
