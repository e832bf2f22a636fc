// TCP abuse against the real `gslb serve` with its default workers, from several loopback source
// addresses: --tcp-max-per-client and --tcp-max-connections hold for the node as a whole (not per
// worker), refused connections are closed at once and counted, hundreds of idle connections and
// slowloris senders do not delay anyone else over UDP or TCP, and 1,000 pipelined queries on one
// connection are all answered in order.
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildQuery, decodeReply } from './helpers/dns.js';
import { TcpClient, udpAskFrom } from './helpers/loopback-sources.js';
import { stopAll } from './helpers/processes.js';
import { metricDeltas, metrics, series, startServe, type ServeNode } from './helpers/serve-node.js';
import { until } from './helpers/until.js';

const APEX = 'tl.test';
const NAME = `www.${APEX}`;
const ANSWER = `${NAME} 60 A 192.0.2.80`;

function writeZone(dir: string): void {
  mkdirSync(join(dir, APEX), { recursive: true });
  writeFileSync(
    join(dir, APEX, 'records.zone'),
    `$ORIGIN ${APEX}.\n$TTL 60\n@ SOA ns1 host 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.53\nwww A 192.0.2.80\n`,
  );
}

const query = (id = 1) => buildQuery({ id, name: NAME, rd: false });
const refused = (reason: string) => series('gslb_tcp_refused_total', { reason });

/** Whether a connection answers a query (false when it is closed or says nothing within timeoutMs). */
async function usable(c: TcpClient, timeoutMs = 2000): Promise<boolean> {
  if (c.closed) return false;
  c.send(query(7));
  const raw = await c.next(timeoutMs);
  return raw !== null && decodeReply(raw).answer[0] === ANSWER;
}

/** Opens `n` connections from `source`, one after another (each accepted by the kernel first). */
async function openMany(source: string, port: number, n: number): Promise<TcpClient[]> {
  const out: TcpClient[] = [];
  for (let i = 0; i < n; i++) out.push(await TcpClient.connect(source, port));
  return out;
}

/**
 * Opens `n` connections from `source` that all answer, retrying while the server has not yet seen
 * earlier connections from it close (it learns of a close a moment after the client closes).
 */
async function openAdmitted(source: string, port: number, n: number, timeoutMs = 5000): Promise<TcpClient[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const conns = await openMany(source, port, n);
    const ok = await Promise.all(conns.map((c) => usable(c, 1000)));
    if (ok.every(Boolean)) return conns;
    for (const c of conns) c.close();
    if (Date.now() > deadline) throw new Error(`${n} connections from ${source} never all admitted: ${ok}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Times one query from `source` over UDP, or over a fresh TCP connection from it. */
async function timedAsk(source: string, port: number, transport: 'udp' | 'tcp'): Promise<number> {
  const t0 = performance.now();
  let raw: Buffer | null;
  if (transport === 'udp') raw = await udpAskFrom(source, port, query(), 3000);
  else {
    const c = await TcpClient.connect(source, port);
    c.send(query());
    raw = await c.next(3000);
    c.close();
  }
  if (!raw || decodeReply(raw).answer[0] !== ANSWER) throw new Error(`no ${transport} answer for ${source}`);
  return performance.now() - t0;
}

describe('tcp limits through gslb serve (default workers)', function () {
  this.timeout(60_000);
  let dir: string;
  const open: TcpClient[] = [];
  const track = (cs: TcpClient[]) => {
    open.push(...cs);
    return cs;
  };

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gslb-tcp-limits-'));
    writeZone(dir);
  });
  afterEach(() => {
    for (const c of open.splice(0)) c.close();
  });
  after(async () => {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
  });

  describe('--tcp-max-per-client 5', () => {
    let node: ServeNode;
    before(async () => {
      node = await startServe(dir, ['--tcp-max-per-client', '5']);
    });

    it('20 connections from one address: 5 stay usable, 15 are closed at once and counted', async () => {
      const baseline = await metrics(node);
      const conns = track(await openMany('127.0.1.1', node.port, 20));
      // The refused ones close without a byte sent; give them a moment, then ask on every one.
      await until('15 connections closed', () => conns.filter((c) => c.closed).length >= 15, 3000, 20).catch(() => {});
      const closed = conns.filter((c) => c.closed);
      expect(closed.length, 'closed by the server').to.equal(15);
      for (const c of closed) expect(c.closedAt! - c.openedAt, 'closed at once').to.be.below(1500);
      const answers = await Promise.all(conns.filter((c) => !c.closed).map((c) => usable(c)));
      expect(answers).to.deep.equal([true, true, true, true, true]);
      const want = { [refused('per-client')]: 15, [refused('global')]: 0 };
      expect(await metricDeltas(node, baseline, want)).to.deep.equal(want);
    });

    it('another address is not affected; once they close, new ones are admitted, and limited again', async () => {
      // The previous test's five were closed by its afterEach: admitted again once the server sees it.
      const held = track(await openAdmitted('127.0.1.1', node.port, 5));
      const other = track(await openMany('127.0.2.1', node.port, 5));
      expect(await Promise.all(other.map((c) => usable(c))), 'another address').to.deep.equal([
        true,
        true,
        true,
        true,
        true,
      ]);
      const sixth = track(await openMany('127.0.1.1', node.port, 1))[0]!;
      expect(await sixth.waitClosed(1500), 'a sixth from the full address is refused').to.equal(true);
      for (const c of held) c.close();
      track(await openAdmitted('127.0.1.1', node.port, 5));
    });

    it('1,000 pipelined queries on one connection are all answered, in order', async () => {
      const c = track(await openMany('127.0.3.1', node.port, 1))[0]!;
      const n = 1000;
      c.send(...Array.from({ length: n }, (_, i) => query(i + 1)));
      const ids: number[] = [];
      for (let i = 0; i < n; i++) {
        const raw = await c.next(5000);
        if (!raw) break;
        const r = decodeReply(raw);
        expect(r.answer[0], `reply ${i + 1}`).to.equal(ANSWER);
        ids.push(r.packet.id!);
      }
      expect(ids.length, 'replies').to.equal(n);
      expect(ids).to.deep.equal(Array.from({ length: n }, (_, i) => i + 1));
    });
  });

  describe('--tcp-max-connections 10: the global limit, for the node as a whole', () => {
    let node: ServeNode;
    before(async () => {
      node = await startServe(dir, ['--tcp-max-connections', '10']);
    });

    it('15 connections from 15 addresses: 10 usable, 5 closed and counted as global', async () => {
      const baseline = await metrics(node);
      const conns: TcpClient[] = [];
      for (let i = 1; i <= 15; i++) conns.push(...track(await openMany(`127.0.20.${i}`, node.port, 1)));
      await until('5 connections closed', () => conns.filter((c) => c.closed).length >= 5, 3000, 20).catch(() => {});
      expect(conns.filter((c) => c.closed).length).to.equal(5);
      const answers = await Promise.all(conns.filter((c) => !c.closed).map((c) => usable(c)));
      expect(answers.filter(Boolean).length).to.equal(10);
      const want = { [refused('global')]: 5, [refused('per-client')]: 0 };
      expect(await metricDeltas(node, baseline, want)).to.deep.equal(want);
    });
  });

  describe('idle connections and slowloris', () => {
    const IDLE_MS = 3000;
    let node: ServeNode;
    before(async () => {
      node = await startServe(dir, ['--tcp-max-per-client', '400', '--tcp-idle-timeout', String(IDLE_MS)]);
    });

    it('300 idle connections and 20 stalled half-messages do not delay other clients over UDP or TCP', async () => {
      const quiet = { udp: [] as number[], tcp: [] as number[] };
      for (let i = 0; i < 5; i++) {
        quiet.udp.push(await timedAsk('127.0.2.1', node.port, 'udp'));
        quiet.tcp.push(await timedAsk('127.0.2.1', node.port, 'tcp'));
      }
      const idle = track(
        await Promise.all(Array.from({ length: 300 }, () => TcpClient.connect('127.0.7.1', node.port))),
      );
      const slow = track(
        await Promise.all(Array.from({ length: 20 }, () => TcpClient.connect('127.0.8.1', node.port))),
      );
      // A length prefix saying 256 bytes, then 10 of them, then nothing.
      for (const c of slow) c.write(Buffer.concat([Buffer.from([0x01, 0x00]), query().subarray(0, 10)]));
      const t0 = Date.now();
      const busy = { udp: [] as number[], tcp: [] as number[] };
      for (let i = 0; i < 10; i++) {
        busy.udp.push(await timedAsk('127.0.2.1', node.port, 'udp'));
        busy.tcp.push(await timedAsk('127.0.2.1', node.port, 'tcp'));
      }
      expect(Date.now() - t0, 'the answers came while the abusers were still connected').to.be.below(IDLE_MS);
      expect(idle.filter((c) => c.closed).length, 'the idle connections were held').to.equal(0);
      const shown = JSON.stringify({ quiet, busy });
      // Generous bounds for a shared machine: a query delayed behind the abusers would wait seconds.
      for (const t of ['udp', 'tcp'] as const) {
        expect(Math.max(...busy[t]), `${t} slowest ${shown}`).to.be.below(500);
        const median = [...busy[t]].sort((x, y) => x - y)[busy[t].length >> 1]!;
        expect(median, `${t} median ${shown}`).to.be.below(100);
      }
    });

    it('the idle and stalled connections are closed by the idle timeout', async () => {
      const idle = track(
        await Promise.all(Array.from({ length: 50 }, () => TcpClient.connect('127.0.7.1', node.port))),
      );
      const slow = track(
        await Promise.all(Array.from({ length: 10 }, () => TcpClient.connect('127.0.8.1', node.port))),
      );
      for (const c of slow) c.write(Buffer.from([0x01, 0x00, 0xab, 0xcd]));
      const all = [...idle, ...slow];
      await until('every idle connection closed', () => all.every((c) => c.closed), IDLE_MS + 3000, 50).catch(() => {});
      expect(all.filter((c) => !c.closed).length, 'still open').to.equal(0);
      for (const c of all) expect(c.closedAt! - c.openedAt).to.be.at.least(IDLE_MS - 200);
    });
  });
});
