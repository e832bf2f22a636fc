// The soak's zone folder: one zone (soak.test) with a master file and a policy file, rewritten during
// the run. A valid version N changes the policy (www's TTL, api's weights) and the records (the serial
// and version.soak.test's address); an invalid file is a YAML error in the policy or a bad address in
// the master file. Files are replaced by rename, so the server's watcher never reads half a file.
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const APEX = 'soak.test';
export const DATACENTERS = ['dc1', 'dc2', 'dc3'] as const;
export type Datacenter = (typeof DATACENTERS)[number];
/** HTTP backends per datacenter: each endpoint is probed at one of them. */
export const BACKENDS_PER_DC = 2;

/** What a valid version N serves, to check that it was applied. */
export function versionAddress(version: number): string {
  return `10.9.${(version >> 8) & 255}.${version & 255}`;
}
export const wwwTtl = (version: number) => 30 + (version % 20);

/** `probe(dc, i)`: HOST:PORT of the i-th backend of a datacenter. */
export type ProbeOf = (dc: Datacenter, i: number) => string;

const V4: Record<Datacenter, string> = { dc1: '192.0.2', dc2: '198.51.100', dc3: '203.0.113' };
const V6: Record<Datacenter, string> = { dc1: '2001:db8:1::', dc2: '2001:db8:2::', dc3: '2001:db8:3::' };

function records(version: number): string {
  return `; soak.test, version ${version}
$ORIGIN ${APEX}.
$TTL 300
@       IN SOA  ns1 hostmaster ${version + 1} 3600 600 604800 60
        IN NS   ns1
        IN MX   10 mail
        IN TXT  "gslb soak zone"
ns1     IN A    192.0.2.53
mail    IN A    192.0.2.25
        IN AAAA 2001:db8::25
alias   IN CNAME www
version IN A    ${versionAddress(version)}
`;
}

function policy(version: number, probe: ProbeOf): string {
  const endpoint = (dc: Datacenter, host: number, i: number, v6 = false) =>
    `{ address: "${v6 ? V6[dc] : `${V4[dc]}.`}${host}", probe: "${probe(dc, i)}" }`;
  const wwwPool = (dc: Datacenter) =>
    `      ${dc}: [${endpoint(dc, 10, 0)}, ${endpoint(dc, 11, 1)}, ${endpoint(dc, 10, 0, true)}, ${endpoint(dc, 11, 1, true)}]`;
  return `# soak.test policy, version ${version}
datacenters:
${DATACENTERS.map((dc) => `  ${dc}: {}`).join('\n')}
checks:
  web: { type: http, path: /, interval: 1s, timeout: 500ms, jitter: 100ms, rise: 1, fall: 2 }
regions:
  europe: { match: { continents: [EU] }, datacenters: [dc2, dc1, dc3] }
  americas: { match: { continents: [NA, SA] }, datacenters: [dc1, dc2, dc3] }
  asia-pacific: { match: { continents: [AS, OC] }, datacenters: [dc3, dc2, dc1] }
  default: { datacenters: [dc1, dc2, dc3] }
names:
  www:
    policy: geo
    ttl: ${wwwTtl(version)}
    max_answers: 2
    check: web
    pools:
${DATACENTERS.map(wwwPool).join('\n')}
  api:
    policy: weighted
    ttl: 20
    check: web
    pools:
      dc1: [{ address: ${V4.dc1}.20, weight: ${1 + (version % 5)}, probe: "${probe('dc1', 0)}" }]
      dc2: [{ address: ${V4.dc2}.20, weight: 1, probe: "${probe('dc2', 1)}" }]
  fo:
    policy: failover
    ttl: 10
    check: web
    pools:
${DATACENTERS.map((dc) => `      ${dc}: [${endpoint(dc, 30, 0)}]`).join('\n')}
`;
}

/** The zone folder; `write*` replace its files. */
export class ZoneFiles {
  readonly zoneDir: string;
  private readonly recordsFile: string;
  private readonly policyFile: string;
  constructor(
    readonly zonesDir: string,
    private readonly probe: ProbeOf,
  ) {
    this.zoneDir = join(zonesDir, APEX);
    mkdirSync(this.zoneDir, { recursive: true });
    this.recordsFile = join(this.zoneDir, 'records.zone');
    this.policyFile = join(this.zoneDir, 'policy.yaml');
  }

  /** Both files at version N (also repairs whichever file an invalid write broke). */
  writeValid(version: number): void {
    this.replace(this.policyFile, policy(version, this.probe));
    this.replace(this.recordsFile, records(version));
  }

  /** One file broken on top of version N: the policy (a YAML syntax error) or the master file. */
  writeInvalid(version: number, file: 'policy' | 'records'): void {
    if (file === 'policy') this.replace(this.policyFile, `${policy(version, this.probe)}  broken: [\n`);
    else this.replace(this.recordsFile, `${records(version)}broken  IN A    999.1.2.3\n`);
  }

  private replace(file: string, text: string): void {
    writeFileSync(`${file}.tmp`, text);
    renameSync(`${file}.tmp`, file);
  }
}
