import { describe, expect, it } from 'vitest';
import { checkVerifyGate, resolveNextAction, worktreeAdvice, pushFailedMessage } from '../../src/services/jobs/status-rules.ts';

const longSummary = 'Split the form into two files on purpose.';

describe('checkVerifyGate (S4 decision table)', () => {
  const rows = [
    // verify result, verify_only, verify_required, summary, allowed
    [null, false, 'ALIGNED_OR_PARTIAL', longSummary, false],
    [null, true, 'ANY', longSummary, false],
    ['EMPTY', false, 'ANY', longSummary, false],
    ['EMPTY', true, 'ALIGNED', undefined, true],
    ['ALIGNED', false, 'ALIGNED', undefined, true],
    ['ALIGNED', false, 'ALIGNED_OR_PARTIAL', undefined, true],
    ['PARTIAL', false, 'ANY', undefined, true],
    ['DIVERGENT', false, 'ANY', undefined, true],
    ['PARTIAL', false, 'ALIGNED', longSummary, false],
    ['DIVERGENT', false, 'ALIGNED', longSummary, false],
    ['PARTIAL', false, 'ALIGNED_OR_PARTIAL', undefined, false],
    ['PARTIAL', false, 'ALIGNED_OR_PARTIAL', 'too short', false],
    ['PARTIAL', false, 'ALIGNED_OR_PARTIAL', '   nineteen chars!!   ', false],
    ['PARTIAL', false, 'ALIGNED_OR_PARTIAL', 'exactly twenty chars', true],
    ['DIVERGENT', false, 'ALIGNED_OR_PARTIAL', longSummary, true],
  ] as const;

  it.each(rows)('%s, verify_only=%s, required=%s, summary=%j → allowed=%s', (result, verifyOnly, required, summary, allowed) => {
    const decision = checkVerifyGate(result, verifyOnly, required, summary);
    expect(decision.allowed).toBe(allowed);
    if (!decision.allowed) expect(decision.reason.length).toBeGreaterThan(10);
  });

  it('explains what to do in each refusal', () => {
    expect(checkVerifyGate(null, false, 'ANY', undefined)).toMatchObject({ reason: expect.stringContaining('verify') });
    expect(checkVerifyGate('EMPTY', false, 'ANY', undefined)).toMatchObject({ reason: expect.stringContaining('verify_only') });
    expect(checkVerifyGate('PARTIAL', false, 'ALIGNED', undefined)).toMatchObject({ reason: expect.stringContaining('requires aligned') });
    expect(checkVerifyGate('PARTIAL', false, 'ALIGNED_OR_PARTIAL', '')).toMatchObject({ reason: expect.stringContaining('20 characters') });
  });
});

describe('resolveNextAction (S12)', () => {
  it.each([
    ['running', 5, 'idle'],
    ['running', 0, 'idle'],
    ['done', 1, 'wait_for_job_again'],
    ['failed', 2, 'wait_for_job_again'],
    ['done', 0, 'queue_empty'],
    ['failed', 0, 'queue_empty'],
  ] as const)('%s with %i queued → %s', (status, queued, expected) => {
    expect(resolveNextAction(status, queued)).toBe(expected);
  });
});

describe('worktreeAdvice (S11) and the push-failed message (S6)', () => {
  it('keeps the worktree while siblings are active', () => {
    expect(worktreeAdvice(1)).toBe('keep');
    expect(worktreeAdvice(0)).toBe('remove');
  });
  it('cuts the detail to 200 characters', () => {
    const message = pushFailedMessage('branch-missing', 'x'.repeat(500));
    expect(message).toBe(`push failed (branch-missing): ${'x'.repeat(200)}`);
  });
});
