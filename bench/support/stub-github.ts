// A GitHub that answers what a story's check-run refresh asks, at once, for
// the scale bench (the app points at it through GHE_HOST / GHE_PROTOCOL=http):
//   POST  /app/installations/{id}/access_tokens       an installation token
//   GET   /repos/{o}/{r}/commits/{sha}/check-runs     the runs created here
//   POST  /repos/{o}/{r}/check-runs                   201 with a new id
//   PATCH /repos/{o}/{r}/check-runs/{id}              200
//   GET   /app/hook/deliveries                        [] (the failed-delivery healer's cron)
// Anything else answers 404. Calls are counted by method and route.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ProbotOctokit } from 'probot';

export interface StubGitHub {
  /** host:port, for GHE_HOST */
  host: string;
  /** "METHOD route" → calls */
  calls(): Record<string, number>;
  stop(): Promise<void>;
}

/** Probot's Octokit without plugin-throttling's write pacing (1 s per write): the stub answers at once, the bench measures the app. */
export const unpacedOctokit = ProbotOctokit.defaults((options: Record<string, unknown>) => ({
  ...options,
  throttle: { ...(options.throttle as object), enabled: false },
}));

export async function startStubGitHub(): Promise<StubGitHub> {
  const counts: Record<string, number> = {};
  const runs: { id: number; external_id: string; head_sha: string; name: string }[] = [];
  const count = (key: string) => (counts[key] = (counts[key] ?? 0) + 1);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const answer = (status: number, body: unknown) => {
        const text = JSON.stringify(body);
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
      };
      const url = new URL(req.url ?? '/', 'http://stub');
      const path = url.pathname.replace(/^\/api\/v3/, '');
      const method = req.method ?? 'GET';
      let m: RegExpExecArray | null;
      if (method === 'POST' && /^\/app\/installations\/\d+\/access_tokens$/.test(path)) {
        count('POST /app/installations/{id}/access_tokens');
        answer(201, { token: 'ghs_stub', expires_at: new Date(Date.now() + 3600_000).toISOString(), permissions: {}, repository_selection: 'all' });
      } else if (method === 'GET' && (m = /^\/repos\/[^/]+\/[^/]+\/commits\/([^/]+)\/check-runs$/.exec(path))) {
        count('GET /repos/{o}/{r}/commits/{sha}/check-runs');
        const ofSha = runs.filter((run) => run.head_sha === m![1]);
        answer(200, { total_count: ofSha.length, check_runs: ofSha });
      } else if (method === 'POST' && /^\/repos\/[^/]+\/[^/]+\/check-runs$/.test(path)) {
        count('POST /repos/{o}/{r}/check-runs');
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { external_id?: string; head_sha?: string; name?: string };
        const run = { id: runs.length + 1, external_id: body.external_id ?? '', head_sha: body.head_sha ?? '', name: body.name ?? '' };
        runs.push(run);
        answer(201, run);
      } else if (method === 'PATCH' && (m = /^\/repos\/[^/]+\/[^/]+\/check-runs\/(\d+)$/.exec(path))) {
        count('PATCH /repos/{o}/{r}/check-runs/{id}');
        answer(200, runs[Number(m[1]) - 1] ?? { id: Number(m[1]) });
      } else if (method === 'GET' && path === '/app/hook/deliveries') {
        // the failed-delivery healer's cron: nothing failed
        count('GET /app/hook/deliveries');
        answer(200, []);
      } else {
        count(`${method} (other)`);
        answer(404, { message: 'Not Found' });
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    calls: () => ({ ...counts }),
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
