// The truth the no-clone revert is checked against: real `git revert` in a scratch clone of the fake's repository.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type OracleResult = { kind: 'clean'; treeSha: string; baseTreeSha: string } | { kind: 'conflict' };

const env = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_AUTHOR_NAME: 'Oracle',
  GIT_AUTHOR_EMAIL: 'oracle@example.com',
  GIT_COMMITTER_NAME: 'Oracle',
  GIT_COMMITTER_EMAIL: 'oracle@example.com',
  LC_ALL: 'C',
};

function git(cwd: string, args: string[]): string {
  return execFileSync('git', args, { cwd, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/**
 * Clones `gitDir` at `baseBranch` and runs `git revert --no-commit <revertArgs>`:
 * `['-m', '1', M]` for a merge commit, `[M]` for a squash commit, `[`${P}..${M}`]` for
 * the commits of a rebase merge (reverted newest first, kept as one change).
 */
export function gitRevert(gitDir: string, baseBranch: string, revertArgs: string[]): OracleResult {
  const scratch = mkdtempSync(join(tmpdir(), 'revert-oracle-'));
  try {
    git(scratch, ['clone', '--quiet', '--branch', baseBranch, gitDir, 'work']);
    const work = join(scratch, 'work');
    const baseTreeSha = git(work, ['rev-parse', 'HEAD^{tree}']);
    try {
      git(work, ['revert', '--no-commit', ...revertArgs]);
    } catch {
      return { kind: 'conflict' };
    }
    return { kind: 'clean', treeSha: git(work, ['write-tree']), baseTreeSha };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** The branches of the bare repository whose names start with `prefix`. */
export function branchesStartingWith(gitDir: string, prefix: string): string[] {
  return git(gitDir, ['for-each-ref', '--format=%(refname:short)', `refs/heads/${prefix}`])
    .split('\n')
    .filter((line) => line.length > 0);
}
