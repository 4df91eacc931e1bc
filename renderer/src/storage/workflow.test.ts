import { describe, expect, it } from 'vitest';
import { canTransition, transitionProblem } from './workflow.ts';

describe('workflow', () => {
  it('follows new -> predicted -> in progress -> approved | flagged', () => {
    expect(canTransition('new', 'predicted')).toBe(true);
    expect(canTransition('predicted', 'in-progress')).toBe(true);
    expect(canTransition('in-progress', 'approved')).toBe(true);
    expect(canTransition('in-progress', 'flagged')).toBe(true);
  });

  it('refuses skipping review and says what is possible', () => {
    expect(canTransition('new', 'approved')).toBe(false);
    expect(canTransition('predicted', 'approved')).toBe(false);
    expect(transitionProblem('predicted', 'approved', undefined)).toBe(
      'A case that is predicted cannot become approved; it can become in progress.',
    );
  });

  it('needs a non-blank comment to flag', () => {
    expect(transitionProblem('in-progress', 'flagged', '  ')).toMatch(/needs a comment/);
    expect(transitionProblem('in-progress', 'flagged', 'border unclear')).toBeNull();
  });

  it('reopens approved and flagged cases', () => {
    expect(canTransition('approved', 'in-progress')).toBe(true);
    expect(canTransition('flagged', 'in-progress')).toBe(true);
    expect(canTransition('approved', 'flagged')).toBe(false);
  });
});
