/**
 * The open case's review decisions: approve (asking first when the mask is empty: "no lesion"),
 * flag with a required comment, and the case's status they act on. The review bar shows it; the
 * review keys and "Approve & next" call it directly (no component method to reach through).
 */
import { errorMessage } from '../lib/format.ts';
import type { CaseRecord, CaseRepository } from '../storage/index.ts';
import { approveCase, flagCase } from './review-actions.ts';

export interface ReviewDecisionsOptions {
  repository: CaseRepository;
  caseId: string;
  /** The annotator's name on the decision. */
  author: () => string;
  /** Saves the edit in progress first, so a decision applies to the mask on screen. */
  beforeaction: () => Promise<void>;
  /** The case's status changed here. */
  onchanged: () => void;
  onerror: (message: string) => void;
}

export class ReviewDecisions {
  /** The case as last read (its status, its latest version). */
  record = $state.raw<CaseRecord | null>(null);
  working = $state(false);
  flagOpen = $state(false);
  flagComment = $state('');
  flagProblem = $state<string | null>(null);
  noLesionOpen = $state(false);
  /** Answers the approval that asked the no-lesion question, once it is answered. */
  #noLesionAnswer: ((approved: boolean) => void) | null = null;
  readonly #options: ReviewDecisionsOptions;

  constructor(options: ReviewDecisionsOptions) {
    this.#options = options;
  }

  get caseId(): string {
    return this.#options.caseId;
  }

  /** Reads the case again (the database changed). */
  async load(): Promise<void> {
    this.record = (await this.#options.repository.getCase(this.#options.caseId)) ?? null;
  }

  /** Runs a review action; false when it failed (the error is shown). */
  async #act(action: () => Promise<unknown>): Promise<boolean> {
    this.working = true;
    try {
      await this.#options.beforeaction();
      await action();
      await this.load();
      this.#options.onchanged();
      return true;
    } catch (e) {
      this.#options.onerror(errorMessage(e));
      return false;
    } finally {
      this.working = false;
    }
  }

  /** True once the case is approved; an empty mask first asks whether there is no lesion. */
  async approve(confirmedNoLesion = false): Promise<boolean> {
    this.noLesionOpen = false;
    let asked = false;
    const { repository, caseId } = this.#options;
    const done = await this.#act(async () => {
      const outcome = await approveCase(repository, caseId, this.#options.author(), { confirmedNoLesion });
      asked = outcome.kind === 'needs-no-lesion-confirmation';
    });
    if (!done) return false;
    if (!asked) return true;
    this.noLesionOpen = true;
    return new Promise((resolve) => (this.#noLesionAnswer = resolve));
  }

  answerNoLesion(confirmed: boolean): void {
    const answer = this.#noLesionAnswer;
    this.#noLesionAnswer = null;
    if (!confirmed) {
      this.noLesionOpen = false;
      answer?.(false);
      return;
    }
    void this.approve(true).then((approved) => answer?.(approved));
  }

  /** Opens the flag dialog (the flag button and Shift+F in the case view). */
  openFlag(): void {
    this.flagComment = '';
    this.flagProblem = null;
    this.flagOpen = true;
  }

  /** Flags the case with the dialog's comment, which is required. */
  submitFlag(): void {
    if (!this.flagComment.trim()) {
      this.flagProblem = 'Say what is wrong with this case; the comment is required to flag it.';
      return;
    }
    const comment = this.flagComment;
    this.flagOpen = false;
    const { repository, caseId } = this.#options;
    void this.#act(() => flagCase(repository, caseId, this.#options.author(), comment));
  }

  /**
   * A review key: the same as the buttons, when they are enabled. Approving resolves true once
   * the case is approved (or already was), for "approve and next".
   */
  review(action: 'approve' | 'flag'): Promise<boolean> {
    const record = this.record;
    if (!record || this.working) return Promise.resolve(false);
    if (action === 'flag') {
      if (record.status !== 'flagged') this.openFlag();
      return Promise.resolve(false);
    }
    if (record.status === 'approved') return Promise.resolve(true);
    return record.latestVersionId ? this.approve() : Promise.resolve(false);
  }
}
