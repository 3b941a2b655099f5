// Plain-text formats shared by the console's views.

/** 2026-12-03 09:04:05 UTC: exact, sortable, the same for every reader (no JavaScript needed). */
export function formatTime(iso: string | Date | null | undefined): string {
  if (!iso) return '–';
  const date = typeof iso === 'string' ? new Date(iso) : iso;
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

export function formatCount(value: number | null | undefined): string {
  return value === null || value === undefined ? '–' : value.toLocaleString('en-US');
}

/** The distinct end of a cuid, for tables; the full id goes in a title and in links. */
export function shortId(id: string): string {
  return id.length > 10 ? `…${id.slice(-8)}` : id;
}

export function codeTitle(item: { code: string | null; title: string }): string {
  return item.code ? `${item.code} · ${item.title}` : item.title;
}

/** The web page of a repository: github.com, or the GitHub Enterprise host of the API base URL. */
export function repoWebUrl(apiBaseUrl: string | undefined, repo: string): string {
  const web = apiBaseUrl ? apiBaseUrl.replace(/\/api\/v3\/?$/, '') : 'https://github.com';
  return `${web}/${repo}`;
}
