// A TCP proxy to PostgreSQL that tests take down and bring back: what a restart or a
// failover does to an app's connections (test/reliability/database-away.test.ts,
// test/services/background/worker-database-away.test.ts).
import net from 'node:net';

/**
 * A TCP proxy to PostgreSQL that can be taken down and brought back. Down, it cuts every
 * connection and resets each new one at once (the port stays this proxy's: closing the
 * listener would let another process on a busy machine take the port meanwhile).
 */
export class DatabaseProxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  private away = false;
  port = 0;
  constructor(private readonly target: { host: string; port: number }) {}

  async start(): Promise<void> {
    const server = net.createServer((client) => {
      if (this.away) {
        client.resetAndDestroy();
        return;
      }
      const upstream = net.connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on('close', () => this.sockets.delete(socket));
        socket.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  /** Every connection cut, and new ones reset as they come. */
  down(): void {
    this.away = true;
    for (const socket of this.sockets) socket.resetAndDestroy();
  }

  up(): void {
    this.away = false;
  }

  async stop(): Promise<void> {
    this.down();
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
