// The clients file of `gslb simulate`: CSV lines `subnet,weight[,name]`, each subnet read as the
// EDNS Client Subnet a resolver would send for it. Every bad line is reported, as file:line.
import { parseCidr, unmapIpv4 } from '../../zones/address.js';

export interface Client {
  /** As written in the file, for messages. */
  readonly subnet: string;
  readonly family: 4 | 6;
  /** Network bytes (4 or 16); IPv4-mapped IPv6 is IPv4 here, as the pipeline reads it in ECS. */
  readonly bytes: Buffer;
  /** The subnet's prefix length, in `family`'s bits (an IPv4-mapped /120 is an IPv4 /24). */
  readonly prefix: number;
  readonly weight: number;
  /** The one load-balanced name this line is about (as written), or null for every simulated name. */
  readonly name: string | null;
  readonly line: number;
}

export interface ClientsError {
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

export function formatClientsError(e: ClientsError): string {
  return e.line > 0 ? `${e.file}:${e.line}: ${e.message}` : `${e.file}: ${e.message}`;
}

const HEADER = /^subnet\s*,\s*weight(\s*,\s*name)?$/i;

function parseLine(text: string, line: number): Client | string {
  const fields = text.split(',').map((f) => f.trim());
  if (fields.length < 2 || fields.length > 3) return `expected subnet,weight[,name], got ${fields.length} field(s)`;
  const [subnetText, weightText, nameText] = fields as [string, string, string | undefined];
  const cidr = parseCidr(subnetText);
  if (!cidr.ok) return cidr.error;
  if (!/^[0-9]+(\.[0-9]+)?$/.test(weightText)) return `weight must be a number >= 0, got '${weightText}'`;
  if (nameText === '') return 'the name field is empty (leave it out to mean every name)';
  // ::ffff:a.b.c.d/120 is the IPv4 client a.b.c.d/24, as resolveClient() takes it from ECS.
  const { family, bytes } = cidr.cidr.prefix >= 96 ? unmapIpv4(cidr.cidr) : cidr.cidr;
  const prefix = family === cidr.cidr.family ? cidr.cidr.prefix : cidr.cidr.prefix - 96;
  return { subnet: subnetText, family, bytes, prefix, weight: Number(weightText), name: nameText ?? null, line };
}

/** Parses the whole file: `#` comments, blank lines and a first `subnet,weight[,name]` header are skipped. */
export function parseClients(text: string, file: string): { clients: Client[]; errors: ClientsError[] } {
  const clients: Client[] = [];
  const errors: ClientsError[] = [];
  let first = true;
  text.split(/\r?\n/).forEach((raw, i) => {
    const content = raw.replace(/#.*$/, '').trim();
    if (content === '') return;
    const isHeader = first && HEADER.test(content);
    first = false;
    if (isHeader) return;
    const r = parseLine(content, i + 1);
    if (typeof r === 'string') errors.push({ file, line: i + 1, message: r });
    else clients.push(r);
  });
  if (clients.length === 0 && errors.length === 0) errors.push({ file, line: 0, message: 'no clients in the file' });
  return { clients, errors };
}
