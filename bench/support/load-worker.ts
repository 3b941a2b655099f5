// Child process of ./load-client.ts: sends the requests of one task over
// keep-alive connections (one socket per concurrent worker) and reports
// latencies, statuses and claimed job ids.
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import type { LoadResult, LoadTask } from './load-client.ts';

const maxProblems = 5;

interface Answer {
  status: number;
  text: string;
}

function send(agent: http.Agent, base: URL, path: string, token: string | undefined, body: string, method: 'GET' | 'POST'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: base.hostname,
        port: base.port,
        path,
        method,
        agent,
        headers: {
          ...(method === 'POST' ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(method === 'POST' ? body : undefined);
  });
}

async function run(task: LoadTask): Promise<Omit<LoadResult, 'serverCpuMs'>> {
  const base = new URL(task.baseUrl);
  const concurrency = task.type === 'requests' ? task.concurrency : task.tokens.length;
  let bodyBytes = 0;
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
  const latenciesMs: number[] = [];
  const statuses: Record<string, number> = {};
  const claimedIds: string[] = [];
  const problems: string[] = [];
  const note = (problem: string) => {
    if (problems.length < maxProblems) problems.push(problem);
  };
  const timed = async (path: string, token: string | undefined, body: string, method: 'GET' | 'POST' = 'POST'): Promise<Answer | null> => {
    const started = performance.now();
    try {
      const answer = await send(agent, base, path, token, body, method);
      latenciesMs.push(performance.now() - started);
      bodyBytes += Buffer.byteLength(answer.text);
      statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
      return answer;
    } catch (error) {
      statuses.error = (statuses.error ?? 0) + 1;
      note(`${path}: ${(error as Error).message}`);
      return null;
    }
  };

  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  if (task.type === 'claim-until-empty' || task.type === 'claim-count') {
    const limit = task.type === 'claim-count' ? task.count : Number.POSITIVE_INFINITY;
    let sent = 0; // claim-count: exactly `count` claims sent between the agents
    await Promise.all(
      task.tokens.map(async (token) => {
        while (sent < limit) {
          sent++;
          const answer = await timed('/api/v1/jobs/claim', token, task.body);
          if (!answer || answer.status === 204) return;
          if (answer.status !== 200) {
            note(`claim answered ${answer.status}: ${answer.text.slice(0, 200)}`);
            return;
          }
          claimedIds.push((JSON.parse(answer.text) as { job: { id: string } }).job.id);
        }
      }),
    );
  } else {
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(concurrency, task.requests.length) }, async () => {
        while (next < task.requests.length) {
          const request = task.requests[next++]!;
          const answer = await timed(request.path, request.token, request.body, request.method ?? 'POST');
          if (answer && answer.status >= 300) note(`${request.path} answered ${answer.status}: ${answer.text.slice(0, 200)}`);
        }
      }),
    );
  }
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  agent.destroy();
  return { elapsedMs, latenciesMs, statuses, bodyBytes, claimedIds, problems, clientCpuShare: (cpu.user + cpu.system) / 1000 / elapsedMs };
}

process.on('message', (task: LoadTask) => {
  run(task).then(
    (result) => process.send?.(result),
    (error: unknown) => process.send?.({ error: error instanceof Error ? error.stack ?? error.message : String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
