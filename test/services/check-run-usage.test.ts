// SPEC §11: reviewers see usage where they look — the story's check run lists each
// task's tokens and cost and the story's total.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatUsd, renderCheckOutput, type TaskRow } from '../../src/services/checks/check-state.ts';
import { claimTask, startCascadeWorld, until, type CascadeWorld } from '../cascade/support.ts';

const usage = (input: number, output: number, cost: string | null, model = 'claude-test') => ({
  model_id: model,
  input_tokens: input,
  output_tokens: output,
  cache_read_tokens: 0,
  cache_write_tokens: 0,
  cost_usd: cost,
  unpriced_jobs: (cost === null ? 1 : 0) as 0 | 1,
});

describe('the check run output', () => {
  it.each([
    ['0.300000000', '$0.30'],
    ['12.000000000', '$12.00'],
    ['0.000123400', '$0.0001234'],
    ['1234.5', '$1234.50'],
  ])('formats %s as %s, exact', (cost, shown) => {
    expect(formatUsd(cost)).toBe(shown);
  });

  it("lists each task's tokens and cost, unpriced and unworked tasks, and the story's total", () => {
    const rows: TaskRow[] = [
      { title: 'Priced', status: 'DONE', verifyResult: 'ALIGNED', summary: 'did it', usage: usage(1200, 300, '0.008100000') },
      { title: 'Unpriced', status: 'RUNNING', verifyResult: null, summary: null, usage: usage(50, 5, null, 'mystery-model') },
      { title: 'Untouched', status: null, verifyResult: null, summary: null, usage: null },
    ];
    const total = { input_tokens: 2250, output_tokens: 305, cache_read_tokens: 7, cache_write_tokens: 0, cost_usd: '0.012000000', unpriced_jobs: 1 };
    const output = renderCheckOutput('Checkout', rows, { status: 'in_progress', conclusion: null }, total);
    const lines = output.text.split('\n');
    expect(lines[0]).toBe('| task | job | verify | tokens | cost | summary |');
    expect(lines[2]).toBe('| Priced | done | aligned | 1,200 in · 300 out | $0.0081 | did it |');
    expect(lines[3]).toBe('| Unpriced | running | – | 50 in · 5 out | unpriced (mystery-model) | – |');
    expect(lines[4]).toBe('| Untouched | not queued | – | – | – | – |');
    expect(output.summary).toContain('**Story total**');
    expect(output.summary).toContain('2,250 input, 305 output, 7 cache-read and 0 cache-write tokens; $0.012');
    expect(output.summary).toContain('+ 1 job(s) on a model with no price');
  });
});

describe('the story check run on GitHub', { timeout: 120_000 }, () => {
  let world: CascadeWorld;
  beforeAll(async () => {
    world = await startCascadeWorld('acme/check-usage');
  });
  afterAll(async () => {
    await world?.close();
  });

  it("shows the tokens and cost each task's agent reported, priced at the table in force, and the story's total", async () => {
    const prices = await world.app.call('PUT', '/api/v1/admin/prices', {
      body: { prices: [{ model: 'claude-*', input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 }] },
    });
    expect(prices.status).toBe(200);
    const imported = await world.app.call('POST', `/api/v1/admin/products/${world.productId}/backlog`, {
      body: {
        pbis: [{ title: 'Costs', stories: [{ code: 'CU', title: 'Cost shown', tasks: [{ title: 'First', plan_paths: ['a.txt'] }, { title: 'Second', plan_paths: ['b.txt'] }] }] }],
      },
    });
    expect(imported.status).toBe(201);
    const story = imported.body.pbis[0].stories[0];
    const agent = (path: string, body: unknown) => world.app.call('POST', path, { token: world.agentToken, body });

    // the first task: done with its usage; its push opens the story PR (and its check run)
    const first = await claimTask(world, story.tasks[0].id, 10);
    world.fake.commitToBranch(world.repo, first.branch, { 'a.txt': 'a\n' }, 'First task');
    expect((await agent(`/api/v1/jobs/${first.id}/verify`, {})).status).toBe(200);
    const done = await agent(`/api/v1/jobs/${first.id}/status`, {
      status: 'done',
      summary: 'The first task',
      model_id: 'claude-sonnet',
      input_tokens: 1_000_000,
      output_tokens: 200_000,
      cache_read_tokens: 0,
      cache_write_tokens: 0,
    });
    expect(done.status).toBe(200);
    expect(done.body.pr_url).not.toBeNull();

    // the second task: running, its agent reports usage on the way (1,000 in at $3/M + 100 out at $15/M)
    const second = await claimTask(world, story.tasks[1].id, 10);
    const running = await agent(`/api/v1/jobs/${second.id}/status`, { status: 'running', model_id: 'claude-haiku', input_tokens: 1000, output_tokens: 100 });
    expect(running.status).toBe(200);

    // $3 + $3 = $6.00 for the first; $0.003 + $0.0015 for the second; the story: $6.0045
    const run = await until(
      'the check run showing both tasks',
      async () => world.fake.checkRuns(world.repo).find((r) => (r.output.text ?? '').includes('| Second | running |')),
      60_000,
    );
    const text = run.output.text!;
    expect(text).toContain('| First | done | aligned | 1,000,000 in · 200,000 out | $6.00 | The first task |');
    expect(text).toContain('| Second | running | – | 1,000 in · 100 out | $0.0045 | – |');
    expect(run.output.summary).toContain('1,001,000 input, 200,100 output, 0 cache-read and 0 cache-write tokens; $6.0045');
  });
});
