// Story branch names: `story/<code or id>-<slug of title>`, valid git ref
// names, unique within a product.

export function slugify(text: string, maxLength = 40): string {
  const slug = text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, maxLength)
    .replace(/-+$/g, '');
  return slug;
}

export function storyBranchName(codeOrId: string, title: string): string {
  const key = slugify(codeOrId, 30) || 'story';
  const slug = slugify(title);
  return slug ? `story/${key}-${slug}` : `story/${key}`;
}

/** Returns `branch`, or `branch-2`, `branch-3`… whichever is not taken yet (and takes it). */
export function claimUniqueBranch(branch: string, taken: Set<string>): string {
  let candidate = branch;
  for (let n = 2; taken.has(candidate); n++) candidate = `${branch}-${n}`;
  taken.add(candidate);
  return candidate;
}
