// The story PR's title and body (S7): the task summaries so far plus a footer.

export function storyPrTitle(story: { code: string | null; title: string }): string {
  return story.code ? `${story.code}: ${story.title}` : story.title;
}

export const storyPrFooter = (storyId: string) =>
  `---\n*Opened by Scrum4Me for story ${storyId}. Each task adds its summary here when it is done.*`;

export function storyPrBody(storyId: string, summaries: { taskTitle: string; summary: string | null }[]): string {
  const sections = summaries
    .filter((s) => s.summary && s.summary.trim().length > 0)
    .map((s) => `### ${s.taskTitle}\n\n${s.summary!.trim()}`);
  return [...sections, storyPrFooter(storyId)].join('\n\n');
}
