// The soak's side of its load generator: starts the worker thread (load-worker.ts) and turns its
// messages into promises.
import { Worker } from 'node:worker_threads';
import type { FromLoad, LoadConfig, LoadStats, ToLoad } from './load-types.js';

type Reply<T extends FromLoad['type']> = Extract<FromLoad, { type: T }>;

export class LoadGenerator {
  private readonly worker: Worker;
  private readonly waiting = new Map<string, { resolve(m: FromLoad): void; reject(e: Error): void }>();
  private failed: Error | null = null;

  private constructor(cfg: LoadConfig) {
    this.worker = new Worker(new URL('./load-worker.js', import.meta.url), { workerData: cfg });
    this.worker.on('message', (m: FromLoad) => {
      if (m.type === 'error') return this.fail(new Error(m.message));
      const w = this.waiting.get(m.type);
      this.waiting.delete(m.type);
      w?.resolve(m);
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`the load generator exited (${code})`)));
  }

  /** Resolves once every client's socket is bound. */
  static async start(cfg: LoadConfig): Promise<LoadGenerator> {
    const g = new LoadGenerator(cfg);
    await g.next('ready');
    return g;
  }

  private fail(err: Error): void {
    this.failed ??= err;
    for (const w of this.waiting.values()) w.reject(err);
    this.waiting.clear();
  }

  private next<T extends FromLoad['type']>(type: T, send?: ToLoad): Promise<Reply<T>> {
    if (this.failed) return Promise.reject(this.failed);
    const p = new Promise<Reply<T>>((resolve, reject) =>
      this.waiting.set(type, { resolve: resolve as (m: FromLoad) => void, reject }),
    );
    if (send) this.worker.postMessage(send);
    return p;
  }

  /** Closed-loop replies per second over `seconds` (after a second's ramp), and queries that timed out. */
  measure(seconds: number): Promise<{ qps: number; timedOut: number }> {
    return this.next('measured', { type: 'measure', seconds });
  }

  /** Starts (or changes) the legitimate clients' open-loop rate; resolves once TCP is connected. */
  async run(qps: number): Promise<void> {
    await this.next('running', { type: 'run', qps });
  }

  /** The flood's rate: 0 stops a burst. */
  flood(qps: number): void {
    this.worker.postMessage({ type: 'flood', qps } satisfies ToLoad);
  }

  async snapshot(): Promise<LoadStats> {
    return (await this.next('snapshot', { type: 'snapshot' })).stats;
  }

  /** Stops sending, waits out the last timeouts and returns the final counts. */
  async stop(): Promise<LoadStats> {
    const { stats } = await this.next('stopped', { type: 'stop' });
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
    return stats;
  }

  /** Ends the thread at once (on an aborted run). */
  async kill(): Promise<void> {
    this.worker.removeAllListeners('exit');
    await this.worker.terminate();
  }
}
