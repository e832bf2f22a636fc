// Health-check backends for tests: real HTTP servers on loopback that can be killed and revived on
// the same port, so probes see connection refused and then success again.
import http from 'node:http';
import net from 'node:net';

export class Backend {
  private server: http.Server | null = null;
  private sockets = new Set<net.Socket>();
  port = 0;

  constructor(readonly host = '127.0.0.1') {}

  async start(): Promise<this> {
    const server = http.createServer((req, res) => {
      res.writeHead(req.url === '/healthz' ? 200 : 404, { 'content-type': 'text/plain', connection: 'close' });
      res.end('ok\n');
    });
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, this.host, () => resolve());
    });
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
    return this;
  }

  /** Stops listening and drops open connections: probes now get "connection refused". */
  async kill(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    for (const c of this.sockets) c.destroy();
    await new Promise<void>((r) => s.close(() => r()));
  }

  get alive(): boolean {
    return this.server !== null;
  }

  get probe(): string {
    return `${this.host}:${this.port}`;
  }
}
