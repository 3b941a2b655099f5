// The status-call baseline: a bare node:http server that does the one UPDATE a
// status call cannot do without (the conditional status change of one row),
// over a pg.Pool the size of the app's. No auth lookup, no validation library,
// no transaction, no change event: the floor the app's status call is compared to.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';

/** src/db/client.ts connectDatabase's default pool size */
const appPoolSize = 10;

const statements = {
  running: `UPDATE jobs SET status = 'RUNNING', started_at = now(), heartbeat_at = now(), updated_at = now()
             WHERE id = $1 AND claimed_by_token_id = $2 AND status IN ('CLAIMED', 'RUNNING')
             RETURNING id, status::text AS status, started_at, finished_at`,
  done: `UPDATE jobs SET status = 'DONE', finished_at = now(), heartbeat_at = now(), updated_at = now()
          WHERE id = $1 AND claimed_by_token_id = $2 AND status IN ('CLAIMED', 'RUNNING')
          RETURNING id, status::text AS status, started_at, finished_at`,
} as const;

export interface BareStatusServer {
  url: string;
  stop(): Promise<void>;
}

export async function startBareStatusServer(databaseUrl: string, claimingTokenId: string): Promise<BareStatusServer> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: appPoolSize });
  pool.on('error', () => {});
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const answer = (status: number, body: unknown) => {
        const text = JSON.stringify(body);
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      };
      const jobId = /^\/jobs\/([^/]+)\/status$/.exec(req.url ?? '')?.[1];
      let status: unknown;
      try {
        status = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { status?: unknown }).status;
      } catch {
        answer(400, { error: 'bad json' });
        return;
      }
      if (!jobId || (status !== 'running' && status !== 'done')) {
        answer(400, { error: 'bad request' });
        return;
      }
      // prepared, like the app's statements
      pool.query({ name: `bare-status-${status}`, text: statements[status], values: [decodeURIComponent(jobId), claimingTokenId] }).then(
        ({ rows }) => (rows[0] ? answer(200, rows[0]) : answer(409, { error: 'not reportable' })),
        (error: unknown) => answer(500, { error: String(error) }),
      );
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await pool.end();
    },
  };
}
