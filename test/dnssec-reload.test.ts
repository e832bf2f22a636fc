// Key events of a signed zone under `gslb serve` (real processes, keys from BIND's dnssec-keygen): a
// key added to keys/ pre-published appears in DNSKEY after the file-watch reload and signs nothing; a
// key whose Delete time passes is gone after the reload the node schedules for it (with --workers 2,
// every worker follows, as for SIGHUP); a broken key file is refused and the last good keys serve on;
// with --workers 2 the primary's /metrics sums the workers' signing counts.
import { expect } from 'chai';
import { mkdirSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildQuery, decodeReply, udpExchange } from './helpers/dns.js';
import { keyTagOf } from './helpers/dnssec-test-keys.js';
import { dnssecKeygen, toolsOrSkip, type TestKey } from './helpers/dnssec-zone.js';
import { gslb, stopAll, type Running } from './helpers/processes.js';
import { until } from './helpers/until.js';

const APEX = 'keys.test';
const RECORDS = `$ORIGIN ${APEX}.
$TTL 300
@    SOA ns1 hostmaster 1 7200 900 1209600 60
@    NS  ns1
ns1  A   192.0.2.53
www  A   192.0.2.80
${Array.from({ length: 10 }, (_, i) => `h${i}   A   192.0.2.${100 + i}`).join('\n')}
`;

/** A zone folder with its records and an empty keys/ (the test adds the keys). */
function zonesDir(): { dir: string; keys: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gslb-dnssec-reload-'));
  mkdirSync(join(dir, APEX, 'keys'), { recursive: true });
  writeFileSync(join(dir, APEX, 'records.zone'), RECORDS);
  return { dir, keys: join(dir, APEX, 'keys') };
}

async function start(
  dir: string,
  workers: number,
  admin = false,
): Promise<{ node: Running; port: number; admin: string }> {
  const flags = ['serve', '--zones', dir, '--listen', '127.0.0.1:0', '--workers', String(workers)];
  const node = gslb([...flags, ...(admin ? ['--admin', '127.0.0.1:0'] : []), '--log-level', 'info']);
  const m = await node.waitFor(/gslb serving .* on 127\.0\.0\.1:(\d+)/, 20_000);
  return { node, port: Number(m[1]), admin: admin ? (await node.waitFor(/admin on (http:\/\/\S+)/))[1]! : '' };
}

async function ask(port: number, name: string, type: string): Promise<ReturnType<typeof decodeReply>> {
  const r = await udpExchange('127.0.0.1', port, buildQuery({ name, type, edns: { do: true } }));
  if (r === null) throw new Error(`no reply to ${name} ${type}`);
  return decodeReply(r);
}

/** The key tags of the served DNSKEY RRset, sorted. */
async function dnskeyTags(port: number): Promise<number[]> {
  const r = await ask(port, APEX, 'DNSKEY');
  return (r.packet.answers ?? [])
    .filter((a) => a.type === 'DNSKEY')
    .map((a) => {
      const d = (a as unknown as { data: { flags: number; algorithm: number; key: Buffer } }).data;
      return keyTagOf(Buffer.concat([Buffer.from([d.flags >> 8, d.flags & 0xff, 3, d.algorithm]), d.key]));
    })
    .sort((x, y) => x - y);
}

/** The key tags of the RRSIGs in a reply's answer, by the type they cover: "A:12345". */
function signers(r: ReturnType<typeof decodeReply>): string[] {
  return (r.packet.answers ?? [])
    .filter((a) => a.type === 'RRSIG')
    .map((a) => {
      const d = (a as unknown as { data: { typeCovered: string; keyTag: number } }).data;
      return `${d.typeCovered}:${d.keyTag}`;
    })
    .sort();
}

const sorted = (...tags: number[]) => [...tags].sort((x, y) => x - y);

describe('DNSSEC key events reload the zone (gslb serve)', function () {
  this.timeout(60_000);
  const dirs: string[] = [];

  before(function () {
    toolsOrSkip(this, ['dnssec-keygen']);
  });

  afterEach(async () => {
    await stopAll();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('a pre-published key added to keys/ appears in DNSKEY after the file-watch reload and signs nothing', async () => {
    const { dir, keys } = zonesDir();
    dirs.push(dir);
    const csk = dnssecKeygen(keys, APEX, 13, true);
    const { node, port } = await start(dir, 1);
    expect(await dnskeyTags(port)).to.deep.equal([csk.tag]);

    const next: TestKey = dnssecKeygen(keys, APEX, 13, false, { publish: 'now', activate: '+1y' });
    await until('the new key in DNSKEY', async () => (await dnskeyTags(port)).includes(next.tag), 10_000, 50);
    expect(await dnskeyTags(port)).to.deep.equal(sorted(csk.tag, next.tag));
    await node.waitFor(/file changed: .*\.(key|private)/);
    // Published, not active: every signature is still the combined key's.
    expect(signers(await ask(port, `www.${APEX}`, 'A'))).to.deep.equal([`A:${csk.tag}`]);
    expect(signers(await ask(port, APEX, 'DNSKEY'))).to.deep.equal([`DNSKEY:${csk.tag}`]);
    expect(signers(await ask(port, APEX, 'SOA'))).to.deep.equal([`SOA:${csk.tag}`]);
  });

  it('a key whose Delete time passes is gone after the scheduled reload, in every worker', async () => {
    const { dir, keys } = zonesDir();
    dirs.push(dir);
    const csk = dnssecKeygen(keys, APEX, 13, true);
    // Pre-published, never active, deleted seconds from now (after the start, with its health warm-up,
    // has surely finished): nothing but the clock changes.
    const leaving = dnssecKeygen(keys, APEX, 13, false, { publish: 'now', activate: '+1y', delete: '+12' });
    const { node, port } = await start(dir, 2);
    expect(await dnskeyTags(port)).to.include(leaving.tag);

    await node.waitFor(new RegExp(`key event: ${APEX.replace('.', '\\.')}\\. key ${leaving.tag} Delete`), 20_000);
    // Each worker answers from its own build: ask until several answers in a row lack the key.
    let inARow = 0;
    await until(
      'the deleted key gone from every answer',
      async () => {
        inARow = (await dnskeyTags(port)).includes(leaving.tag) ? 0 : inARow + 1;
        return inARow >= 12;
      },
      15_000,
      20,
    );
    expect(await dnskeyTags(port)).to.deep.equal([csk.tag]);
    expect(signers(await ask(port, `www.${APEX}`, 'A'))).to.deep.equal([`A:${csk.tag}`]);
    expect(node.stdout + node.stderr).to.not.match(/file changed/);
  });

  it("with --workers 2, the primary's /metrics sums the workers' signing counts and shows the expiry", async () => {
    const { dir, keys } = zonesDir();
    dirs.push(dir);
    dnssecKeygen(keys, APEX, 13, true);
    const { port, admin } = await start(dir, 2, true);
    // Ten distinct RRsets, each asked once: whichever worker answers it signs it once, so the
    // primary (which answers nothing) shows exactly ten only if it sums every worker's count.
    for (let i = 0; i < 10; i++) await ask(port, `h${i}.${APEX}`, 'A');
    const sample = (text: string, series: string): number | undefined => {
      const line = text.split('\n').find((l) => l.startsWith(series + ' '));
      return line === undefined ? undefined : Number(line.slice(series.length + 1));
    };
    const zone = `zone="${APEX}."`;
    let text = '';
    await until(
      "the workers' signing counts in the primary",
      async () => {
        text = await (await fetch(`${admin}metrics`)).text();
        return (sample(text, `gslb_dnssec_signatures_total{${zone},source="signed"}`) ?? 0) >= 10;
      },
      10_000,
      100,
    );
    expect(sample(text, `gslb_dnssec_signatures_total{${zone},source="signed"}`)).to.equal(10);
    const expiry = sample(text, `gslb_dnssec_signature_expiry_timestamp_seconds{${zone}}`)!;
    // Default window: inception an hour back, 14 days of validity.
    expect(expiry - Date.now() / 1000).to.be.within(14 * 86400 - 3600 - 120, 14 * 86400 - 3600 + 5);
  });

  it('a broken key file is refused: the last good keys keep serving, signed', async () => {
    const { dir, keys } = zonesDir();
    dirs.push(dir);
    const csk = dnssecKeygen(keys, APEX, 13, true);
    const { node, port } = await start(dir, 1);
    const broken = join(keys, `K${APEX}.+013+00001`);
    writeFileSync(`${broken}.key`, `${APEX}. IN DNSKEY 256 3 13 not-base64!\n`);
    writeFileSync(`${broken}.private`, 'Private-key-format: v1.3\nAlgorithm: 13 (ECDSAP256SHA256)\nPrivateKey: !!\n');
    await node.waitFor(/reload failed; still serving the last good configuration/, 10_000);
    expect(node.stdout + node.stderr).to.match(/\[E_DNSSEC_[A-Z_]+\]/);
    expect(await dnskeyTags(port)).to.deep.equal([csk.tag]);
    const www = await ask(port, `www.${APEX}`, 'A');
    expect(www.answer.filter((a) => / A /.test(a))).to.deep.equal([`www.${APEX} 300 A 192.0.2.80`]);
    expect(signers(www)).to.deep.equal([`A:${csk.tag}`]);

    // Removed again: the next reload succeeds.
    const before = (node.stdout + node.stderr).match(/"msg":"reloaded"/g)?.length ?? 0;
    unlinkSync(`${broken}.key`);
    unlinkSync(`${broken}.private`);
    await until(
      'a successful reload',
      () => ((node.stdout + node.stderr).match(/"msg":"reloaded"/g)?.length ?? 0) > before,
      10_000,
      50,
    );
    expect(await dnskeyTags(port)).to.deep.equal([csk.tag]);
  });
});
