// TCP abuse through real sockets (server/tcp.ts, server/tcp-gate.ts): pipelining at depth, idle
// connection floods with and without a per-client gate, slowloris, and the gate's bookkeeping
// (sync and async admission, refusals, nothing leaked however a connection ends).
import { expect } from 'chai';
import { startListeners } from '../server/listeners.js';
import { localGate, type Admission, type ConnectionGate } from '../server/tcp-gate.js';
import { startTcp, type TcpOptions } from '../server/tcp.js';
import { peerHasRead } from './helpers/tcp-queues.js';
import { Cleanups, frame, peerEchoHandler, peerOf, query, TcpClient, UdpClient } from './helpers/transport-clients.js';
import { until } from './helpers/until.js';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

type Why = 'global' | 'per-client';

async function tcpServer(opts: Partial<TcpOptions> = {}) {
  const echo = peerEchoHandler();
  const refused: Why[] = [];
  const tcp = cleanups.track(
    await startTcp({
      host: '127.0.0.1',
      port: 0,
      handler: echo.handler,
      onRefused: (why) => refused.push(why),
      ...opts,
    }),
  );
  const port = tcp.address().port;
  return {
    tcp,
    port,
    seen: echo.seen,
    refused,
    connect: (source?: string) => TcpClient.connect(cleanups, port, '127.0.0.1', source),
  };
}

/** Opens n connections from `source` at once. */
function flood(connect: (source?: string) => Promise<TcpClient>, n: number, source: string): Promise<TcpClient[]> {
  return Promise.all(Array.from({ length: n }, () => connect(source)));
}

/** Asks one query over TCP and one over UDP from 127.0.0.1; returns the slower answer's time in ms. */
async function otherClientAnswered(port: number): Promise<number> {
  const started = Date.now();
  const tcp = await TcpClient.connect(cleanups, port, '127.0.0.1', '127.0.0.1');
  tcp.send(query(0x7001));
  const udp = await UdpClient.open(cleanups, '127.0.0.1');
  udp.send(query(0x7002), port);
  const [[tcpReply], udpReply] = await Promise.all([tcp.waitFrames(1, 1000), udp.next(1000)]);
  expect(tcpReply!.readUInt16BE(0)).to.equal(0x7001);
  expect(udpReply.readUInt16BE(0)).to.equal(0x7002);
  expect(peerOf(udpReply).address).to.equal('127.0.0.1');
  const ms = Date.now() - started;
  tcp.socket.destroy();
  return ms;
}

/** A gate whose answers wait until the test lets them go, as a worker's wait for its primary. */
class DeferredGate implements ConnectionGate {
  readonly inner: ReturnType<typeof localGate>;
  asked = 0;
  releases = 0;
  private queue: Array<() => void> = [];

  constructor(max: number) {
    this.inner = localGate(max);
  }

  admit(address: string): Promise<Admission> {
    this.asked++;
    return new Promise((resolve) => this.queue.push(() => resolve(this.inner.admit(address))));
  }

  release(address: string): void {
    this.releases++;
    this.inner.release(address);
  }

  answerAll(): void {
    const q = this.queue;
    this.queue = [];
    q.forEach((answer) => answer());
  }
}

describe('transport abuse: pipelining', () => {
  it('answers 1,000 pipelined queries sent in one write, all in order', async () => {
    const { connect } = await tcpServer();
    const c = await connect();
    const ids = Array.from({ length: 1000 }, (_, i) => i + 1);
    c.send(...ids.map((id) => query(id, 12 + (id % 50))));
    const replies = await c.waitFrames(1000, 10_000);
    expect(replies.map((r) => r.readUInt16BE(0))).to.deep.equal(ids);
  });
});

describe('transport abuse: idle connection floods', () => {
  it('a gate of 10: of 300 idle connections from one address, 290 are closed at once; others are answered within 1 s', async () => {
    const echo = peerEchoHandler();
    const gate = localGate(10);
    const refused: Why[] = [];
    const listeners = cleanups.track(
      await startListeners([{ host: '127.0.0.1', port: 0 }], echo.handler, {
        gate,
        onRefused: (why) => refused.push(why),
      }),
    );
    const port = listeners.endpoints[0]!.port;
    const idle = await flood((source) => TcpClient.connect(cleanups, port, '127.0.0.1', source), 300, '127.0.0.2');
    const closing = Date.now();
    await until('290 connections closed', () => idle.filter((c) => c.isClosed).length === 290, 5000, 5);
    expect(Date.now() - closing, 'ms to close the 290').to.be.below(2000);
    expect(refused).to.have.length(290);
    expect(new Set(refused)).to.deep.equal(new Set(['per-client']));
    expect(idle.every((c) => c.frames.length === 0)).to.equal(true);
    expect(gate.tracked).to.equal(1);

    expect(await otherClientAnswered(port)).to.be.below(1000);
    // The ten kept ones still work.
    const kept = idle.filter((c) => !c.isClosed);
    expect(kept).to.have.length(10);
    kept[0]!.send(query(0x0101));
    expect((await kept[0]!.waitFrames(1))[0]!.readUInt16BE(0)).to.equal(0x0101);

    kept.forEach((c) => c.socket.destroy());
    await until('every connection released', () => gate.tracked === 0, 2000, 5);
  });

  it('no gate: 300 idle connections are held up to the global limit, others still answered within 1 s', async () => {
    const echo = peerEchoHandler();
    const refused: Why[] = [];
    // 300 idle, the other client's one, then the limit.
    const listeners = cleanups.track(
      await startListeners([{ host: '127.0.0.1', port: 0 }], echo.handler, {
        maxConnections: 301,
        onRefused: (why) => refused.push(why),
      }),
    );
    const port = listeners.endpoints[0]!.port;
    const idle = await flood((source) => TcpClient.connect(cleanups, port, '127.0.0.1', source), 300, '127.0.0.2');
    await peerHasRead(idle[299]!.socket); // nothing sent: the connections are merely open
    expect(await otherClientAnswered(port)).to.be.below(1000);
    expect(idle.filter((c) => c.isClosed)).to.have.length(0);
    expect(refused).to.deep.equal([]);

    const over = await TcpClient.connect(cleanups, port, '127.0.0.1', '127.0.0.3');
    over.send(query(1));
    await over.waitClosed();
    expect(over.frames).to.have.length(0);
    expect(refused).to.deep.equal(['global']);
  });
});

describe('transport abuse: slowloris', () => {
  it('stalled prefixes and half messages delay no one over TCP or UDP, and the idle timeout closes them', async () => {
    const echo = peerEchoHandler();
    const listeners = cleanups.track(
      await startListeners([{ host: '127.0.0.1', port: 0 }], echo.handler, { idleTimeoutMs: 500 }),
    );
    const port = listeners.endpoints[0]!.port;
    const stalled = await flood((source) => TcpClient.connect(cleanups, port, '127.0.0.1', source), 40, '127.0.0.2');
    const half = frame(query(0x5555, 300)).subarray(0, 150);
    stalled.forEach((c, i) => {
      // One byte of a length prefix, a whole prefix, or half a message.
      c.socket.write(i % 3 === 0 ? Buffer.from([0x01]) : i % 3 === 1 ? Buffer.from([0x01, 0x2c]) : half);
    });
    for (const c of stalled) await peerHasRead(c.socket);
    const started = Date.now();
    expect(await otherClientAnswered(port)).to.be.below(1000);

    await Promise.all(stalled.map((c) => c.waitClosed(3000)));
    expect(Date.now() - started).to.be.below(3000);
    expect(stalled.every((c) => c.frames.length === 0)).to.equal(true);
    expect(echo.seen.map((s) => s.msg.readUInt16BE(0)).sort()).to.deep.equal([0x7001, 0x7002]);
  });
});

describe('transport abuse: the per-client gate', () => {
  it('localGate: counts per address, IPv4-mapped as IPv4, and forgets an address with its last connection', () => {
    const gate = localGate(2);
    expect(gate.admit('192.0.2.1')).to.equal(true);
    expect(gate.admit('::ffff:192.0.2.1')).to.equal(true);
    expect(gate.admit('192.0.2.1')).to.equal(false);
    expect(gate.admit('2001:db8::1')).to.equal(true);
    expect(gate.tracked).to.equal(2);
    gate.release('::ffff:192.0.2.1');
    expect(gate.admit('192.0.2.1')).to.equal(true);
    gate.release('192.0.2.1');
    gate.release('192.0.2.1');
    gate.release('192.0.2.1'); // one too many: never below zero
    gate.release('2001:db8::1');
    expect(gate.tracked).to.equal(0);
    expect(gate.admit('192.0.2.1')).to.equal(true);
    expect(() => localGate(0)).to.throw(RangeError);
    expect(() => localGate(1.5)).to.throw(RangeError);
  });

  it('a sync gate: refusals reported, the count back to 0 once every connection has gone', async () => {
    const gate = localGate(3);
    const { connect, refused } = await tcpServer({ gate });
    const conns = await flood(connect, 10, '127.0.0.2');
    await until('7 refused', () => conns.filter((c) => c.isClosed).length === 7, 3000, 5);
    expect(refused).to.deep.equal(Array(7).fill('per-client'));
    expect(gate.tracked).to.equal(1);
    const kept = conns.filter((c) => !c.isClosed);
    kept[0]!.socket.end(); // a clean close, a reset and the idle timeout's end all release
    kept[1]!.socket.resetAndDestroy();
    kept[2]!.socket.destroy();
    await until('every connection released', () => gate.tracked === 0, 3000, 5);
    // A slot freed is a slot to use again.
    const again = await connect('127.0.0.2');
    again.send(query(4));
    await again.waitFrames(1);
  });

  it('an async gate: the socket waits paused, then is served or refused', async () => {
    const gate = new DeferredGate(2);
    const { connect, refused, seen } = await tcpServer({ gate });
    const conns = await flood(connect, 3, '127.0.0.2');
    await until('three admissions asked', () => gate.asked === 3, 2000, 5);
    conns.forEach((c, i) => c.send(query(i + 1)));
    await Promise.all(conns.map((c) => peerHasRead(c.socket)));
    expect(seen, 'nothing read before admission').to.have.length(0);
    gate.answerAll();
    await until('one refused', () => conns.filter((c) => c.isClosed).length === 1, 2000, 5);
    const served = conns.filter((c) => !c.isClosed);
    for (const c of served) await c.waitFrames(1);
    expect(served).to.have.length(2);
    expect(refused).to.deep.equal(['per-client']);
    served.forEach((c) => c.socket.destroy());
    await until('released', () => gate.inner.tracked === 0 && gate.releases === 2, 2000, 5);
  });

  it('a socket waiting for its admission counts against the global limit', async () => {
    const gate = new DeferredGate(10);
    const { connect, refused } = await tcpServer({ gate, maxConnections: 2 });
    const [a, b] = await flood(connect, 2, '127.0.0.2');
    await until('two admissions asked', () => gate.asked === 2, 2000, 5);
    const c = await connect('127.0.0.3');
    await c.waitClosed();
    expect(refused).to.deep.equal(['global']);
    expect(gate.asked).to.equal(2);
    gate.answerAll();
    a!.send(query(1));
    b!.send(query(2));
    await a!.waitFrames(1);
    await b!.waitFrames(1);
  });

  it('no leak when a waiting socket goes before the answer: the idle timeout, the client, the listener closing', async () => {
    // The idle timeout ends a wait the gate never answers.
    const timed = new DeferredGate(5);
    const slow = await tcpServer({ gate: timed, idleTimeoutMs: 200 });
    const t = await slow.connect('127.0.0.2');
    await t.waitClosed();
    timed.answerAll(); // admitted, too late: released at once
    await until('released', () => timed.releases === 1 && timed.inner.tracked === 0, 2000, 5);

    // The client leaves first.
    const left = new DeferredGate(5);
    const second = await tcpServer({ gate: left });
    const l = await second.connect('127.0.0.2');
    await until('asked', () => left.asked === 1, 2000, 5);
    l.socket.destroy();
    await l.waitClosed();
    left.answerAll();
    await until('released', () => left.releases === 1 && left.inner.tracked === 0, 2000, 5);

    // The listener closes.
    const closing = new DeferredGate(5);
    const third = await tcpServer({ gate: closing });
    const w = await third.connect('127.0.0.2');
    await until('asked', () => closing.asked === 1, 2000, 5);
    const closed = third.tcp.close();
    await w.waitClosed();
    closing.answerAll();
    await closed;
    expect(closing.releases).to.equal(1);
    expect(closing.inner.tracked).to.equal(0);
    expect(third.refused).to.deep.equal([]);
  });

  it('a gate that fails closes the connection without a refusal and without a release', async () => {
    let releases = 0;
    const failing: ConnectionGate = {
      admit: (address) => (address === '127.0.0.2' ? Promise.reject(new Error('primary gone')) : true),
      release: () => releases++,
    };
    const { connect, refused } = await tcpServer({ gate: failing });
    const c = await connect('127.0.0.2');
    await c.waitClosed();
    expect(refused).to.deep.equal([]);
    expect(releases).to.equal(0);
    const ok = await connect('127.0.0.1');
    ok.send(query(5));
    await ok.waitFrames(1);
    ok.socket.destroy();
    await until('released', () => releases === 1, 2000, 5);
  });
});
