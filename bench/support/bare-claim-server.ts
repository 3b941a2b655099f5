// The claim's HTTP ceiling: a bare node:http server that runs the bare claim
// statement (bench/claims.ts bareClaimStatement, passed in) once per POST, over
// a pg.Pool the size of the app's, and answers the claimed job as JSON (200) or
// 204. No Probot, no express, no zod, no token lookup (the bearer token is
// looked up in a map given at start), no change event: what the app's claim
// over HTTP would cost with nothing but node:http and pg in its path. Driven by
// the same load client (`claim-count` / `claim-until-empty`, path ignored) at
// the same concurrency as the app, it says how much of the gap between the app
// and the bare statement is HTTP itself (the socket reads and writes of the
// request and the answer) and how much is the app.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';

/** src/db/client.ts connectDatabase's default pool size (the app's pool) */
export const appPoolSize = 10;

export interface BareClaimAgent {
  token: string;
  tokenId: string;
  userId: string;
}

export interface BareClaimServer {
  url: string;
  /** claims on every pool connection at once, 6 each (PostgreSQL's plan cache settles after 5), so that each has prepared and planned the statement */
  warm(agent: BareClaimAgent): Promise<void>;
  stop(): Promise<void>;
}

export async function startBareClaimServer(options: {
  databaseUrl: string;
  /** $1 token id, $2 user id, $3 kinds (text[]); returns the claimed row or none */
  statement: string;
  agents: BareClaimAgent[];
  kinds: string[];
  poolSize?: number;
}): Promise<BareClaimServer> {
  const poolSize = options.poolSize ?? appPoolSize;
  const pool = new pg.Pool({ connectionString: options.databaseUrl, max: poolSize });
  pool.on('error', () => {});
  const byToken = new Map(options.agents.map((agent) => [agent.token, agent]));
  const query = (agent: BareClaimAgent, kinds: string[]) =>
    // prepared, like the app's statement
    pool.query<{ id: string }>({ name: 'bare-http-claim', text: options.statement, values: [agent.tokenId, agent.userId, kinds] });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const answer = (status: number, body?: unknown) => {
        if (body === undefined) {
          res.writeHead(status);
          res.end();
          return;
        }
        const text = JSON.stringify(body);
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
        res.end(text);
      };
      const agent = byToken.get(/^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '');
      if (req.method !== 'POST' || !agent) {
        answer(401, { error: 'unauthorized' });
        return;
      }
      try {
        JSON.parse(Buffer.concat(chunks).toString('utf8')); // the body is read and parsed, as the app does
      } catch {
        answer(400, { error: 'bad json' });
        return;
      }
      query(agent, options.kinds).then(
        ({ rows }) => (rows[0] ? answer(200, { job: rows[0] }) : answer(204)),
        (error: unknown) => answer(500, { error: String(error) }),
      );
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async warm(agent) {
      // hold every connection at once, so each one runs (and prepares) the statement
      const clients = await Promise.all(Array.from({ length: poolSize }, () => pool.connect()));
      try {
        for (let pass = 0; pass < 6; pass++) {
          await Promise.all(clients.map((client) => client.query({ name: 'bare-http-claim', text: options.statement, values: [agent.tokenId, agent.userId, options.kinds] })));
        }
      } finally {
        for (const client of clients) client.release();
      }
    },
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await pool.end();
    },
  };
}
