// Runs git against one bare repository of the fake GitHub, isolated from the user's git config.
import { execFileSync } from 'node:child_process';

export class GitCommandFailed extends Error {
  constructor(
    readonly args: readonly string[],
    readonly status: number | null,
    readonly stderr: string,
  ) {
    super(`git ${args.join(' ')} failed (${status ?? 'signal'}): ${stderr.trim()}`);
    this.name = 'GitCommandFailed';
  }
}

export interface GitRun {
  stdout: string;
  status: number;
}

export interface GitOptions {
  input?: string | Buffer;
  env?: Record<string, string>;
  /** Exit codes that are answers rather than failures (`merge-base --is-ancestor` exits 1 for "no"). */
  okStatuses?: readonly number[];
}

// No system/global config, no hooks, no pager, stable output: the repositories must
// behave the same on every machine.
const isolatedEnv: Record<string, string> = {
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
  GIT_TERMINAL_PROMPT: '0',
  LC_ALL: 'C',
  GIT_AUTHOR_NAME: 'Fake GitHub',
  GIT_AUTHOR_EMAIL: 'noreply@github.com',
  GIT_COMMITTER_NAME: 'Fake GitHub',
  GIT_COMMITTER_EMAIL: 'noreply@github.com',
};

export function runGit(gitDir: string, args: readonly string[], options: GitOptions = {}): GitRun {
  const fullArgs = [`--git-dir=${gitDir}`, ...args];
  try {
    const stdout = execFileSync('git', fullArgs, {
      input: options.input,
      env: { ...isolatedEnv, ...options.env },
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    return { stdout, status: 0 };
  } catch (error) {
    const failure = error as { status?: number | null; stdout?: string; stderr?: string };
    const status = failure.status ?? null;
    if (status !== null && options.okStatuses?.includes(status)) {
      return { stdout: failure.stdout ?? '', status };
    }
    throw new GitCommandFailed(args, status, failure.stderr ?? String(error));
  }
}

/** Runs git where the repository does not matter (init, clone). */
export function runGitAnywhere(args: readonly string[], cwd: string, options: GitOptions = {}): string {
  try {
    return execFileSync('git', args, {
      cwd,
      input: options.input,
      env: { ...isolatedEnv, ...options.env },
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
  } catch (error) {
    const failure = error as { status?: number | null; stderr?: string };
    throw new GitCommandFailed(args, failure.status ?? null, failure.stderr ?? String(error));
  }
}
