/**
 * The case's two message lines: `problem` (something failed or is refused; an alert) and
 * `notice` (what changed under the view: a recovered edit, another window's version). Every part
 * of the session writes here, the view shows them.
 */
export class CaseMessages {
  problem = $state<string | null>(null);
  notice = $state<string | null>(null);

  /** Clears the problem if it is still the one that starts with `prefix` (a later one stays). */
  clearProblem(prefix: string): void {
    if (this.problem?.startsWith(prefix)) this.problem = null;
  }
}
