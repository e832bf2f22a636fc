// The rate-limiting episode log: one line when a (prefix, class, name) starts being limited and one
// when it stops, for the node as a whole (workers report their own episodes to it), capped per second.
import { expect } from 'chai';
import type { Logger } from '../server/log.js';
import { EpisodeLog } from '../server/rrl-log.js';
import type { RrlEpisode } from '../server/rrl/limiter.js';

function recorder(): { log: Logger; lines: Array<{ msg: string; fields: Record<string, unknown> }> } {
  const lines: Array<{ msg: string; fields: Record<string, unknown> }> = [];
  const at = (fields: unknown, msg?: string) => lines.push({ msg: msg ?? String(fields), fields: fields as never });
  return { log: { debug: at, info: at, warn: at, error: at } as Logger, lines };
}

const episode = (prefix: string, limited = 0): RrlEpisode => ({
  prefix,
  class: 'answer',
  name: 'www.example.com.',
  qtype: 1,
  limited,
});

describe('rrl episode log', () => {
  it('logs an episode once when two workers start it, and its end when the last of them stops, with their sum', () => {
    const { log, lines } = recorder();
    const l = new EpisodeLog(log, () => 0);
    l.started(episode('192.0.2.0/24'), 1);
    l.started(episode('192.0.2.0/24'), 2);
    expect(lines.map((x) => x.msg)).to.deep.equal(['rrl: limiting started']);
    expect(lines[0]!.fields).to.include({ prefix: '192.0.2.0/24', class: 'answer', qtype: 'A' });
    l.stopped(episode('192.0.2.0/24', 10), 'recovered', 1);
    expect(lines.length).to.equal(1);
    l.stopped(episode('192.0.2.0/24', 7), 'recovered', 2);
    expect(lines.map((x) => x.msg)).to.deep.equal(['rrl: limiting started', 'rrl: limiting stopped']);
    expect(lines[1]!.fields).to.include({ prefix: '192.0.2.0/24', limited: 17, why: 'recovered' });
    expect(l.active).to.equal(0);
  });

  it('ignores a stop it never saw start, and ends the episodes of a worker that exits', () => {
    const { log, lines } = recorder();
    const l = new EpisodeLog(log, () => 0);
    l.stopped(episode('192.0.2.0/24'), 'recovered', 1);
    expect(lines).to.deep.equal([]);
    l.started(episode('198.51.100.0/24'), 3);
    l.sourceGone(3);
    expect(lines.map((x) => x.msg)).to.deep.equal(['rrl: limiting started', 'rrl: limiting stopped']);
    expect(lines[1]!.fields).to.include({ prefix: '198.51.100.0/24', why: 'worker exited', name: 'www.example.com.' });
  });

  it('writes at most 50 lines a second, then one line with how many were left out', () => {
    const { log, lines } = recorder();
    let now = 0;
    const l = new EpisodeLog(log, () => now);
    for (let i = 0; i < 120; i++) l.started(episode(`10.0.${i}.0/24`));
    expect(lines.length).to.equal(50);
    now = 999;
    l.flush();
    expect(lines.length).to.equal(50);
    now = 1000;
    l.flush();
    expect(lines.length).to.equal(51);
    expect(lines[50]!.fields).to.deep.equal({ suppressed: 70 });
    expect(l.active).to.equal(120);
  });
});
