// In-process cost per query of handleQuery for the bench workloads (no sockets): a quick way to see
// what a change to the query path costs. Not a substitute for scripts/bench.
// usage: node dist/scripts/microbench.js [--seconds S] [--only WORKLOAD] [--dnssec] (e.g. --only nxdomain, for --cpu-prof)
// --dnssec: the example zone signed (a combined ECDSA P-256 key made by BIND's dnssec-keygen in a temporary
// copy) and every query with DNSSEC OK (DO=1); compare with a run without it.
// --rrl: response rate limiting on (a rate no one reaches: every reply takes the limiter's path);
// --cookie: a DNS client cookie in every ECS query (a server cookie made per reply).
// --dnstap: every query and reply recorded as dnstap frames into the writer's slabs (written to no
// socket: a full slab is handed back at once), what the query path pays for --dnstap.
import { cpSync, mkdirSync, readFileSync, mkdtempSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import dnsPacket from 'dns-packet';
import { loadZones } from '../zones/load.js';
import { compileCatalog } from '../server/catalog.js';
import { createPipeline } from '../server/pipeline.js';
import { silentLogger } from '../server/log.js';
import { StaticHealth } from '../health/static-health.js';
import { openGeoData } from '../geo/geoip.js';
import { bundledDatabasePath } from '../geo/bundled.js';
import { ResponseLimiter } from '../server/rrl/limiter.js';
import { ServerCookies } from '../server/cookies/server-cookie.js';
import { DnstapRecorder } from '../server/dnstap/recorder.js';
import { SlabPool } from '../server/dnstap/slabs.js';

const arg = (flag: string): string | undefined => {
  const i = process.argv.indexOf(flag);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const seconds = Number(arg('--seconds') ?? 2);
const only = arg('--only');
const dnssec = process.argv.includes('--dnssec');
const rrl = process.argv.includes('--rrl');
const cookie = process.argv.includes('--cookie');
const dnstap = process.argv.includes('--dnstap');
const dir = mkdtempSync(join(tmpdir(), 'gslb-mb-'));

/** The example zones; with --dnssec a copy whose gslb.example.com has a key (signed). */
function zonesDir(): string {
  if (!dnssec) return 'examples';
  const copy = join(dir, 'zones');
  cpSync('examples', copy, { recursive: true });
  const keys = join(copy, 'gslb.example.com', 'keys');
  mkdirSync(keys);
  execFileSync('dnssec-keygen', [
    '-q',
    '-K',
    keys,
    '-a',
    'ECDSAP256SHA256',
    '-f',
    'KSK',
    '-n',
    'ZONE',
    'gslb.example.com',
  ]);
  return copy;
}
const loaded = loadZones(zonesDir());
if (loaded.errors.length > 0) throw new Error(JSON.stringify(loaded.errors));
const catalog = compileCatalog(loaded.zones, openGeoData([bundledDatabasePath()]));
const health = new StaticHealth();
/** --dnstap: the writer's copy into a slab, the socket replaced by handing every full slab back. */
function slabRecorder(): DnstapRecorder {
  const pool = new SlabPool(256 * 1024, 8);
  return new DnstapRecorder({
    identity: 'microbench',
    version: 'gslb',
    sample: 1,
    only: 'both',
    push: (frame) => {
      let slab = pool.reserve(frame.size);
      if (slab === null) {
        for (let c = pool.take(); c !== undefined; c = pool.take()) pool.release(c.slab);
        slab = pool.reserve(frame.size)!;
      }
      frame.writeTo(slab, pool.offset);
      pool.commit(frame.size);
    },
  });
}
const p = createPipeline(() => catalog, {
  nsid: null,
  chaos: { identity: 'x', version: null },
  log: silentLogger,
  health: () => health.view(),
  guard: {
    rrl: rrl
      ? new ResponseLimiter({
          rate: 1_000_000,
          slip: 2,
          windowSec: 15,
          ipv4Prefix: 24,
          ipv6Prefix: 56,
          tableSize: 65536,
          logOnly: false,
        })
      : null,
    rrlLogOnly: false,
    rrlExempt: null,
    cookies: new ServerCookies([Buffer.alloc(16, 7)]),
  },
  dnstap: dnstap ? slabRecorder() : null,
});
const peer = { address: '127.0.0.1', port: 5300, family: 4 as const };

execFileSync(process.execPath, [
  'scripts/make-ecs-queries.mjs',
  ...(dnssec ? ['--do'] : []),
  ...(cookie ? ['--cookie'] : []),
  join(dir, 'lb.bin'),
  'www.gslb.example.com',
  '10000',
  '42',
]);
const bin = readFileSync(join(dir, 'lb.bin'));
const lb: Buffer[] = [];
for (let o = 0; o < bin.length;) {
  const len = bin.readUInt16BE(o);
  lb.push(bin.subarray(o + 2, o + 2 + len));
  o += 2 + len;
}
const q = (name: string, type = 'A') =>
  dnsPacket.encode({
    type: 'query',
    id: 1,
    questions: [{ name, type: type as dnsPacket.RecordType }],
    ...(dnssec
      ? { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, flags: dnsPacket.DNSSEC_OK } as never] }
      : {}),
  });
const workloads: Record<string, Buffer[]> = {
  static: ['mail.gslb.example.com', 'ns1.gslb.example.com', 'gslb.example.com'].map((n) => q(n)),
  nxdomain: Array.from({ length: 1000 }, (_, i) => q(`nx-${i}.gslb.example.com`)),
  'lb (ECS per query)': lb,
  'lb (resolver address)': [q('www.gslb.example.com')],
  'weighted (api)': [q('api.gslb.example.com')],
};
for (const [name, msgs] of Object.entries(workloads)) {
  if (only !== undefined && !name.startsWith(only)) continue;
  let n = 0;
  const end = performance.now() + seconds * 1000;
  const t0 = performance.now();
  while (performance.now() < end) for (let i = 0; i < 1000; i++) p.handleQuery(msgs[n++ % msgs.length]!, peer, 'udp');
  const us = ((performance.now() - t0) * 1000) / n;
  console.log(`${name.padEnd(24)} ${us.toFixed(2)} us/query  (${Math.round(1e6 / us)} q/s on one core, handler only)`);
}
