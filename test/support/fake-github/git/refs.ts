// References of a bare repository, with compare-and-swap updates (GitHub's refs never race silently).
import { runGit } from './cli.ts';

const ZERO_SHA = '0'.repeat(40);

/** The sha a full ref name (`refs/heads/main`) points at, or null. */
export function readRef(gitDir: string, ref: string): string | null {
  const run = runGit(gitDir, ['rev-parse', '--verify', '--quiet', `${ref}^{}`], { okStatuses: [1] });
  // rev-parse also accepts shas and short names; only full ref names count here.
  if (run.status !== 0 || !refExists(gitDir, ref)) return null;
  return run.stdout.trim();
}

function refExists(gitDir: string, ref: string): boolean {
  return runGit(gitDir, ['show-ref', '--verify', '--quiet', ref], { okStatuses: [1] }).status === 0;
}

/**
 * Points `ref` at `sha` if it still points at `expected` (null: must not exist yet).
 * Returns false when someone else moved it first.
 */
export function swapRef(gitDir: string, ref: string, sha: string, expected: string | null): boolean {
  const run = runGit(gitDir, ['update-ref', ref, sha, expected ?? ZERO_SHA], { okStatuses: [128] });
  return run.status === 0;
}

export function deleteRef(gitDir: string, ref: string): boolean {
  if (!refExists(gitDir, ref)) return false;
  runGit(gitDir, ['update-ref', '-d', ref]);
  return true;
}

/** Refs under a prefix (`refs/heads/`), sorted by name. */
export function listRefs(gitDir: string, prefix: string): Array<{ ref: string; sha: string }> {
  return runGit(gitDir, ['for-each-ref', '--format=%(refname) %(objectname)', prefix])
    .stdout.split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const [ref = '', sha = ''] = line.split(' ');
      return { ref, sha };
    });
}

export function setHead(gitDir: string, branch: string): void {
  runGit(gitDir, ['symbolic-ref', 'HEAD', `refs/heads/${branch}`]);
}
