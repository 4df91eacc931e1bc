/** Short labels for the status badges (the long form is in the storage workflow). */
import type { CaseStatus } from '../storage/index.ts';

/** Badge text of a status. */
export const statusBadgeLabel: Record<CaseStatus, string> = {
  new: 'New',
  predicted: 'Predicted',
  'in-progress': 'In progress',
  approved: 'Approved',
  flagged: 'Flagged',
};
