/**
 * The commands the case view adds to the editor's own (editor/commands.ts): view, ruler and the
 * review loop. The case session joins both lists once (CaseSession.commands): the key handler
 * (session/case-keys.ts), the tool rail, the bar's and clean-up buttons and the shortcut sheet
 * all read it, and a unit test checks that no key press is claimed twice.
 */
import type { EditorCommand } from '../editor/index.ts';

/** What the review keys ask the shell to do with the open case. */
export type ReviewAction = 'approve' | 'approve-next' | 'flag' | 'next' | 'previous';

export interface CaseViewActions {
  fit(): void;
  actualSize(): void;
  zoomBy(factor: number): void;
  cycleViewMode(): void;
  startRuler(): void;
  review(action: ReviewAction): void;
}

export function caseViewCommands(actions: CaseViewActions): EditorCommand[] {
  return [
    { id: 'view.fit', title: 'Zoom to fit', keybindings: ['0'], run: () => actions.fit() },
    { id: 'view.actualSize', title: 'Zoom 1:1', keybindings: ['1'], run: () => actions.actualSize() },
    { id: 'view.zoomIn', title: 'Zoom in', keybindings: ['='], run: () => actions.zoomBy(1.25) },
    { id: 'view.zoomOut', title: 'Zoom out', keybindings: ['-'], run: () => actions.zoomBy(0.8) },
    { id: 'view.cycleMode', title: 'Fill / outline / both', keybindings: ['O'], run: () => actions.cycleViewMode() },
    { id: 'measure.ruler', title: 'Calibration ruler', keybindings: ['R'], run: () => actions.startRuler() },
    // Enter alone belongs to the polygon (it closes it); with Mod it is the review decision.
    { id: 'review.approve', title: 'Approve the case', keybindings: ['Mod+Enter'], run: () => actions.review('approve') },
    { id: 'review.approveNext', title: 'Approve and next case', keybindings: ['Mod+Shift+Enter'], run: () => actions.review('approve-next') },
    // F alone is flood fill: the flag needs Shift.
    { id: 'review.flag', title: 'Flag the case (with a comment)', keybindings: ['Shift+F'], run: () => actions.review('flag') },
    { id: 'review.next', title: 'Next case to review (approved and ground-truth cases skipped)', keybindings: ['N'], run: () => actions.review('next') },
    { id: 'review.previous', title: 'Previous case in the library', keybindings: ['Shift+N'], run: () => actions.review('previous') },
  ];
}
