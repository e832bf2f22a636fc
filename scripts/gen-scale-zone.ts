// Generates a big zone for scale tests: N load-balanced names over D datacenters (geo policy with a
// region per continent) and S static records. usage: node dist/scripts/gen-scale-zone.js DIR [N] [D] [S]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function generateScaleZone(dir: string, names = 100_000, dcs = 50, statics = 10_000): string {
  const apex = 'scale.example';
  const zdir = join(dir, apex);
  mkdirSync(join(zdir, 'regions'), { recursive: true });
  const lines = [
    `$ORIGIN ${apex}.`,
    '$TTL 300',
    '@ SOA ns1 hostmaster 1 7200 900 1209600 60',
    '  NS ns1',
    'ns1 A 192.0.2.53',
  ];
  for (let i = 0; i < statics; i++) lines.push(`s${i} A 10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
  writeFileSync(join(zdir, 'records.zone'), lines.join('\n') + '\n');
  const dc = (i: number) => `dc${i}`;
  const dcLines = ['datacenters:'];
  for (let i = 0; i < dcs; i++)
    dcLines.push(`  ${dc(i)}: { location: { lat: ${((i * 37) % 160) - 80}, lon: ${((i * 71) % 340) - 170} } }`);
  dcLines.push('checks:', '  web: { type: tcp, port: 80, interval: 5s, timeout: 1s }');
  writeFileSync(join(zdir, 'datacenters.yaml'), dcLines.join('\n') + '\n');
  const continents = ['EU', 'NA', 'SA', 'AS', 'OC', 'AF'];
  continents.forEach((c, k) => {
    const order = [0, 1, 2].map((j) => dc((k * 7 + j * 13) % dcs));
    writeFileSync(
      join(zdir, 'regions', `${c.toLowerCase()}.yaml`),
      `regions:\n  r-${c.toLowerCase()}:\n    match: { continents: [${c}] }\n    datacenters: [${order.join(', ')}]\n`,
    );
  });
  writeFileSync(
    join(zdir, 'regions', 'default.yaml'),
    `regions:\n  default:\n    datacenters: [${dc(0)}, ${dc(1)}, ${dc(2)}]\n`,
  );
  const out: string[] = ['names:'];
  for (let i = 0; i < names; i++) {
    const a = (i * 3) % dcs;
    const b = (i * 3 + 1) % dcs;
    const c = (i * 3 + 2) % dcs;
    const ip = (d: number, e: number) => `172.${16 + (d >> 4)}.${((d & 15) << 4) | e}.${(i % 250) + 1}`;
    out.push(
      `  n${i}:`,
      '    policy: geo',
      '    pools:',
      `      ${dc(a)}: [${ip(a, 1)}, ${ip(a, 2)}]`,
      `      ${dc(b)}: [${ip(b, 1)}]`,
      `      ${dc(c)}: [${ip(c, 1)}]`,
    );
  }
  writeFileSync(join(zdir, 'names.yaml'), out.join('\n') + '\n');
  return zdir;
}

if (process.argv[1] && process.argv[1].endsWith('gen-scale-zone.js')) {
  const [dir, n, d, s] = process.argv.slice(2);
  if (!dir) {
    console.error('usage: gen-scale-zone.js DIR [NAMES] [DATACENTERS] [STATICS]');
    process.exit(2);
  }
  console.log(generateScaleZone(dir, Number(n ?? 100_000), Number(d ?? 50), Number(s ?? 10_000)));
}
