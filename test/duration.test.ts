// The one duration grammar (zones/duration.ts) as a table; the policy schema's pattern agrees with it;
// and `gslb drain --for 2h` works through the real CLI and Redis (it was rejected while the admin API
// and the docs took 2h).
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { DurationError, parseDuration } from '../zones/duration.js';
import { durationMs } from '../zones/policy/index.js';

const GSLB = 'bin/gslb';

/** [value, milliseconds or the error it must give]. */
const TABLE: Array<[unknown, number | RegExp]> = [
  ['500ms', 500],
  ['0.5ms', 1], // rounded to whole milliseconds
  ['1.5s', 1500],
  ['90s', 90_000],
  ['10m', 600_000],
  ['2h', 7_200_000],
  ['0.25h', 900_000],
  ['14d', 1_209_600_000],
  ['5', 5000], // a plain number is seconds
  ['0.75', 750],
  ['0s', 0],
  [5, 5000], // a JSON or YAML number is seconds too
  [0.25, 250],
  [0, 0],
  ['2w', /got '2w' \(unknown unit 'w': use ms, s, m, h or d\)/],
  ['2D', /got '2D' \(units are lower case: d\)/],
  ['10min', /unknown unit 'min'/],
  ['2H', /got '2H' \(units are lower case: h\)/],
  ['5 s', /without spaces/],
  [' 5s', /without spaces/],
  ['5s ', /without spaces/],
  ['-5s', /cannot be negative/],
  ['', /got '' \(it is empty\)/],
  [
    's',
    /must be a duration \(a number with ms, s, m, h or d \(500ms, 90s, 10m, 2h, 14d\), or a plain number of seconds\), got 's'$/,
  ],
  ['.5s', /got '\.5s'$/],
  ['1e3s', /got '1e3s'/],
  ['forever', /got 'forever'$/],
  [-1, /got -1 \(a number of seconds must be 0 or more\)/],
  [Number.POSITIVE_INFINITY, /got Infinity/],
  [Number.NaN, /got NaN/],
  [true, /got a boolean$/],
  [null, /got null$/],
  [{ s: 5 }, /got a object$/],
  ['99999999999999999999h', /of a sensible length/],
];

describe('duration grammar (zones/duration.ts)', () => {
  it('parses every documented form and explains every refusal', () => {
    for (const [value, want] of TABLE) {
      const label = JSON.stringify(value) ?? String(value);
      if (typeof want === 'number') {
        expect(parseDuration(value, 'x'), label).to.equal(want);
      } else {
        expect(() => parseDuration(value, '--for'), label)
          .to.throw(DurationError)
          .with.property('message')
          .that.matches(/^--for must be a duration/)
          .and.matches(want);
      }
    }
  });

  it('bounds: longer than 0, at most a limit', () => {
    const drain = { positive: true, maxMs: 30 * 86_400_000 };
    expect(parseDuration('720h', '"for"', drain)).to.equal(30 * 86_400_000);
    expect(() => parseDuration('721h', '"for"', drain)).to.throw(
      DurationError,
      `"for" must be a duration of at most 30 days, got '721h'`,
    );
    expect(() => parseDuration('0s', '"for"', drain)).to.throw(
      DurationError,
      `"for" must be a duration longer than 0, got '0s'`,
    );
    expect(() => parseDuration('0.0001s', 'x', { positive: true })).to.throw(/longer than 0/); // rounds to 0
    expect(() => parseDuration('2s', 'x', { maxMs: 1500 })).to.throw(/at most 1500ms/);
    expect(() => parseDuration('2m', 'x', { maxMs: 90_000 })).to.throw(/at most 90s/);
  });

  it("the policy schema's duration pattern accepts exactly the texts the parser takes", () => {
    const schema = JSON.parse(readFileSync('zones/policy.schema.json', 'utf8')) as {
      definitions: { duration: { anyOf: Array<{ type: string; pattern?: string }> } };
    };
    const text = schema.definitions.duration.anyOf.find((b) => b.type === 'string')!;
    const pattern = new RegExp(text.pattern!);
    for (const [value] of TABLE) {
      if (typeof value !== 'string') continue;
      let parses = true;
      try {
        parseDuration(value, 'x');
      } catch {
        parses = false; // too long included: the schema keeps those out (at most nine digits)
      }
      expect(pattern.test(value), value).to.equal(parses);
    }
  });

  it("the policy files' durationMs reads the same grammar, with its default when absent", () => {
    expect(durationMs(undefined, 1234)).to.equal(1234);
    expect(durationMs('2h', 0)).to.equal(7_200_000);
    expect(durationMs(5, 0)).to.equal(5000);
    expect(durationMs('250ms', 0)).to.equal(250);
  });
});

describe('durations through the CLI', () => {
  const run = (...a: string[]) => spawnSync(process.execPath, [GSLB, ...a], { encoding: 'utf8', timeout: 20_000 });

  it('gslb drain --for 2h drains for two hours (through Redis)', async function () {
    const { redisOrSkip, testPrefix, cleanup } = await import('./helpers/redis.js');
    const url = await redisOrSkip(this);
    const prefix = testPrefix();
    try {
      const before = Date.now();
      const d = run('drain', '--redis', url, '--redis-prefix', prefix, '--datacenter', 'eu-west', '--for', '2h');
      expect(d.status, d.stderr).to.equal(0);
      const until = Date.parse(/until (\S+)/.exec(d.stdout)![1]!);
      expect(until - before).to.be.within(7_200_000, 7_200_000 + 15_000);
      const list = run('drain', '--redis', url, '--redis-prefix', prefix, '--list');
      expect(list.stdout).to.match(/^dc:eu-west {2}by .* {2}until \d{4}-/);
    } finally {
      await cleanup(url, prefix);
    }
  });

  it('a bad or out-of-range --for is a usage error naming the flag, before Redis is asked', () => {
    // Port 1: nothing listens, so reaching Redis would be a different error (exit 1, "redis: ...").
    const drain = (dur: string) =>
      run('drain', '--redis', 'redis://127.0.0.1:1', '--datacenter', 'eu-west', '--for', dur);
    const cases: Array<[string, RegExp]> = [
      ['2w', /--for must be a duration .*got '2w' \(unknown unit 'w'/],
      ['0s', /--for must be a duration longer than 0, got '0s'/],
      ['31d', /--for must be a duration of at most 30 days, got '31d'/],
      ['800h', /--for must be a duration of at most 30 days, got '800h'/],
    ];
    for (const [dur, re] of cases) {
      const r = drain(dur);
      expect(r.status, dur).to.equal(2);
      expect(r.stderr, dur).to.match(re);
    }
  });

  it('serve takes the same grammar for --max-age and --grace', () => {
    const r = run('serve', '--zones', 'examples', '--redis', 'redis://127.0.0.1:1', '--grace', '1x');
    expect(r.status).to.equal(2);
    expect(r.stderr).to.match(/--grace must be a duration .*got '1x' \(unknown unit 'x': use ms, s, m, h or d\)/);
  });
});
