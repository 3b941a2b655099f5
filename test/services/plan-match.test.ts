import { describe, expect, it } from 'vitest';
import { matchPlan } from '../../src/services/verify/plan-match.ts';

describe('matchPlan', () => {
  it.each([
    [['src/a.ts'], [], 'EMPTY'],
    [['src/login/**', 'README.md'], ['src/login/form.ts', 'README.md'], 'ALIGNED'],
    [['src/login/**', 'README.md'], ['src/login/form.ts'], 'PARTIAL'],
    [['src/login/**'], ['docs/x.md'], 'DIVERGENT'],
    [['src/login/'], ['src/login/deep/form.ts'], 'ALIGNED'],
    [['src/*.ts'], ['src/a.ts', 'src/b.ts'], 'ALIGNED'],
    [['src/*.ts'], ['src/sub/a.ts'], 'DIVERGENT'],
    [['.github/**'], ['.github/workflows/ci.yml'], 'ALIGNED'],
    [[], ['anything.ts'], 'ALIGNED'],
  ] as const)('plan %j, changed %j → %s', (plan, changed, expected) => {
    expect(matchPlan([...plan], [...changed]).verify_result).toBe(expected);
  });

  it('lists missing plan paths and unexpected changes', () => {
    const match = matchPlan(['src/login/**', 'README.md'], ['src/login/form.ts', 'package.json']);
    expect(match).toEqual({ verify_result: 'PARTIAL', missing_paths: ['README.md'], unexpected_paths: ['package.json'] });
  });
});
