// The files a branch changes against the base, across every page of
// GET /repos/{o}/{r}/compare/{base}...{head} (one call per 100 commits).
import { statusOf, type Octokit } from './access.ts';

const maxPages = 30;

/** null when the branch (or base) does not exist */
export async function listChangedFiles(octokit: Octokit, repo: { owner: string; repo: string }, base: string, head: string): Promise<string[] | null> {
  const files = new Set<string>();
  try {
    for (let page = 1; page <= maxPages; page++) {
      const response = await octokit.rest.repos.compareCommitsWithBasehead({ ...repo, basehead: `${base}...${head}`, per_page: 100, page });
      for (const file of response.data.files ?? []) {
        files.add(file.filename);
        // a rename changes the old path too
        if (file.previous_filename) files.add(file.previous_filename);
      }
      if (!/rel="next"/.test(response.headers.link ?? '')) break;
    }
  } catch (error) {
    if (statusOf(error) === 404) return null;
    throw error;
  }
  return [...files].sort();
}
