// Signed reply sizes on the shipped example zone (a copy, keyed at test time by dnssec-keygen): the
// signed `www` answer (max_answers: 2) fits the 1232-byte EDNS buffer DNS Flag Day 2020 settled on,
// for both algorithms and key layouts and clients of every region; a signed reply bigger than the
// client's buffer is TC over UDP and whole over TCP, as dig sees it.
import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BIG_TXT,
  EXAMPLE_APEX,
  exampleZoneCopy,
  KEY_SETUPS,
  setupName,
  toolsOrSkip,
  type TestKey,
} from './helpers/dnssec-zone.js';
import { cityDatabase } from './helpers/gslb.js';
import { gslb, type Running } from './helpers/processes.js';
import { askServer } from './helpers/unbound.js';

const WWW = `www.${EXAMPLE_APEX}`;
const BIG = `big.${EXAMPLE_APEX}`;

/** A client of each region of the example zone (test/fixtures/geo/city.csv), and the resolver's own address. */
const CLIENTS = ['2.2.3.0/24', '214.78.120.0/24', '175.16.199.0/24', '2001:218::/56', '2a02:d180::/56', undefined];

/** What dig printed: its header flags, the section counts and the size it received. */
interface DigReply {
  readonly flags: string[];
  readonly answers: number;
  readonly size: number;
  readonly text: string;
}

function dig(port: number, name: string, type: string, opts: readonly string[]): DigReply {
  const r = spawnSync('dig', ['@127.0.0.1', '-p', String(port), name, type, '+norec', '+ignore', ...opts], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`dig exited ${r.status}: ${r.stdout}${r.stderr}`);
  const flags = /;; flags: ([a-z ]*);/.exec(r.stdout);
  const counts = /ANSWER: (\d+)/.exec(r.stdout);
  const size = /MSG SIZE {2}rcvd: (\d+)/.exec(r.stdout);
  if (!flags || !counts || !size) throw new Error(`unexpected dig output:\n${r.stdout}`);
  return { flags: flags[1]!.trim().split(/\s+/), answers: Number(counts[1]), size: Number(size[1]), text: r.stdout };
}

for (const setup of KEY_SETUPS) {
  describe(`DNSSEC reply sizes on the example zone: ${setupName(setup)}`, function () {
    this.timeout(30_000);
    let dir: string;
    let node: Running;
    let port: number;
    let zsk: TestKey;
    before(async function () {
      toolsOrSkip(this, ['dnssec-keygen', 'dig']);
      dir = mkdtempSync(join(tmpdir(), 'gslb-dnssec-size-'));
      const keys = exampleZoneCopy(dir, setup, BIG_TXT);
      zsk = keys.zsk ?? keys.sep;
      node = gslb(['serve', '--zones', dir, '--geoip', cityDatabase(), '--listen', '127.0.0.1:0', '--workers', '1']);
      port = Number((await node.waitFor(/gslb serving .* on 127\.0\.0\.1:(\d+)/, 20_000))[1]);
    });
    after(async () => {
      await node?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('the signed www answer (max_answers: 2) fits 1232 bytes, A and AAAA, for clients of every region', async () => {
      for (const subnet of CLIENTS) {
        for (const type of ['A', 'AAAA']) {
          const what = `${WWW} ${type} from ${subnet ?? 'the resolver'}`;
          const r = await askServer(port, WWW, type, subnet ? { subnet } : {});
          expect(r.tc, what).to.equal(false);
          expect(r.rcode, what).to.equal(0);
          const records = r.packet.answers ?? [];
          expect(records.filter((a) => a.type === type).length, what).to.be.within(1, 2);
          const sigs = records.filter((a) => a.type === 'RRSIG');
          expect(
            sigs.map((s) => (s as unknown as { data: { keyTag: number } }).data.keyTag),
            `${what}: one RRSIG, by the ZSK`,
          ).to.deep.equal([zsk.tag]);
          expect(r.raw.length, what).to.be.below(1232);
        }
      }
    });

    it('a signed reply bigger than the EDNS buffer: TC over UDP (dig +bufsize=512 +dnssec), whole over TCP', () => {
      // Unsigned, the same reply fits 512 bytes: the signature is what does not.
      const plain = dig(port, BIG, 'TXT', ['+bufsize=512']);
      expect(plain.flags, plain.text).to.not.include('tc');
      expect(plain.answers, plain.text).to.equal(1);

      const udp = dig(port, BIG, 'TXT', ['+bufsize=512', '+dnssec']);
      expect(udp.flags, udp.text).to.include('tc');
      expect(udp.size, udp.text).to.be.at.most(512);

      const tcp = dig(port, BIG, 'TXT', ['+bufsize=512', '+dnssec', '+tcp']);
      expect(tcp.flags, tcp.text).to.not.include('tc');
      expect(tcp.answers, `${tcp.text}: the TXT and its RRSIG`).to.equal(2);
      expect(tcp.size, tcp.text).to.be.above(512);
      expect(tcp.text).to.match(new RegExp(`RRSIG\\s+TXT ${setup.algorithm} 4 300 `));

      // The same reply with the whole 1232 bytes fits over UDP.
      const roomy = dig(port, BIG, 'TXT', ['+bufsize=1232', '+dnssec']);
      expect(roomy.flags, roomy.text).to.not.include('tc');
      expect(roomy.answers, roomy.text).to.equal(2);
    });
  });
}
