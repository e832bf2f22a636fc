// Every gslb command's flag table: parse() reads its flags from here and `gslb help` prints them
// from here, so a flag cannot be accepted without being documented. Data only, no imports of the
// commands themselves (help stays fast and the tests can read the tables).
import type { CommandSpec } from './args.js';

const LOG_LEVEL = {
  value: 'LEVEL',
  default: 'info',
  help: 'debug, info, warn or error; logs go to stderr as JSON',
} as const;
const REDIS_PREFIX = { value: 'PREFIX', default: 'gslb:', help: 'key prefix in Redis, to share one Redis' } as const;
/** The Redis URL for the commands that need Redis: from the flag, a file or the environment. */
const REDIS_URL = {
  value: 'URL',
  required: true,
  file: 'redis-url-file',
  env: 'GSLB_REDIS_URL',
  help: 'the Redis the DNS nodes use (docs/redis.md)',
} as const;
/** Where the Redis URL and the TLS files come from, beside --redis (docs/redis.md). */
const redisConnection = <G extends string>(group: G) =>
  ({
    'redis-url-file': {
      value: 'FILE',
      group,
      help: 'the Redis URL from this file (one line): its password stays out of ps',
    },
    'redis-tls-ca': {
      value: 'FILE',
      env: 'GSLB_REDIS_TLS_CA',
      defaultText: "Node's CA list",
      group,
      help: "PEM CA certificate(s) that Redis's certificate must chain to",
    },
    'redis-tls-cert': {
      value: 'FILE',
      env: 'GSLB_REDIS_TLS_CERT',
      group,
      help: 'PEM client certificate, for a Redis that asks for one',
    },
    'redis-tls-key': {
      value: 'FILE',
      env: 'GSLB_REDIS_TLS_KEY',
      group,
      help: 'PEM private key of --redis-tls-cert (give both or neither)',
    },
  }) as const;

/** How agents' reports combine into one verdict: serve's, and simulate's reading of the same Redis. */
const QUORUM = {
  value: 'majority|N',
  default: 'majority',
  help: 'agents (of those within --max-age) that must agree an endpoint is down',
} as const;
const MAX_AGE = { value: 'DUR', default: '5s', help: "an agent's results count this long: 500ms, 5s, 1m" } as const;

export const SERVE = {
  name: 'serve',
  summary: 'the DNS server: answer from the zones, reload on change, health in-process or through Redis',
  flags: {
    zones: {
      value: 'DIR',
      required: true,
      group: 'configuration',
      help: 'one folder per zone, with its master files and policy',
    },
    geoip: {
      value: 'FILE',
      multiple: true,
      defaultText: 'the bundled DB-IP country database',
      group: 'configuration',
      help: 'an mmdb database: City, Country, or ASN (for asns); first hit wins',
    },
    'no-watch': { group: 'configuration', help: 'do not reload when files change (SIGHUP and the admin API still do)' },
    listen: {
      value: 'ADDR:PORT',
      multiple: true,
      default: ['127.0.0.1:5353', '[::1]:5353'],
      group: 'listening',
      help: 'answer DNS here over UDP and TCP; IPv6 as [::]:53',
    },
    workers: {
      value: 'N',
      defaultText: 'the number of cores',
      group: 'listening',
      help: 'worker processes sharing the ports; 1 runs everything in one process',
    },
    'tcp-idle-timeout': {
      value: 'MS',
      default: '10000',
      group: 'listening',
      help: 'close a TCP connection idle this long, in milliseconds',
    },
    'tcp-max-connections': {
      value: 'N',
      default: '1000',
      group: 'listening',
      help: 'open TCP connections at most; new ones over it are closed',
    },
    'tcp-max-per-client': {
      value: 'N',
      default: '100',
      group: 'listening',
      help: 'open TCP connections at most per client address; more are closed',
    },
    'proxy-listen': {
      value: 'ADDR:PORT',
      multiple: true,
      group: 'behind a proxy',
      help: 'also answer here (UDP, TCP), only traffic with a PROXY v2 header',
    },
    'proxy-from': {
      value: 'CIDR',
      multiple: true,
      group: 'behind a proxy',
      help: 'proxies allowed to send PROXY v2 headers (required with --proxy-listen)',
    },
    'rrl-rate': {
      value: 'N',
      default: '0',
      group: 'response rate limiting',
      help: 'UDP responses a second per client prefix and response class; 0: off',
    },
    'rrl-slip': {
      value: 'N',
      default: '2',
      group: 'response rate limiting',
      help: 'every Nth limited response is sent truncated (TC), the rest dropped',
    },
    'rrl-window': {
      value: 'S',
      default: '15',
      group: 'response rate limiting',
      help: 'seconds a prefix pays back a flood before it is answered again',
    },
    'rrl-ipv4-prefix': {
      value: 'L',
      default: '24',
      group: 'response rate limiting',
      help: 'IPv4 clients are counted together per /L',
    },
    'rrl-ipv6-prefix': {
      value: 'L',
      default: '56',
      group: 'response rate limiting',
      help: 'IPv6 clients are counted together per /L',
    },
    'rrl-exempt': {
      value: 'CIDR',
      multiple: true,
      group: 'response rate limiting',
      help: 'clients never limited (your own resolvers, monitoring)',
    },
    'rrl-log-only': {
      group: 'response rate limiting',
      help: 'count and log what would be limited, but answer everything',
    },
    'rrl-table-size': {
      value: 'N',
      default: '65536',
      group: 'response rate limiting',
      help: 'entries of the fixed RRL table (29 bytes each, per worker)',
    },
    'cookie-secret': {
      value: 'HEX',
      multiple: true,
      file: 'cookie-secret-file',
      env: 'GSLB_COOKIE_SECRET',
      defaultText: 'random, per node',
      group: 'DNS cookies',
      help: 'server cookie secret (32 hex digits); the first makes cookies',
    },
    'cookie-secret-file': {
      value: 'FILE',
      group: 'DNS cookies',
      help: 'cookie secrets from this file (one line; spaces or commas between)',
    },
    'no-cookies': {
      group: 'DNS cookies',
      help: 'do not answer DNS cookies (RFC 7873)',
    },
    nsid: { value: 'TEXT', group: 'identity', help: 'NSID (RFC 5001) to return when asked: text, or hex as 0x...' },
    identity: {
      value: 'TEXT',
      defaultText: 'the NSID text, else the host name',
      group: 'identity',
      help: 'answer to CHAOS TXT id.server and hostname.bind',
    },
    'version-string': {
      value: 'TEXT',
      defaultText: 'none: version.bind is REFUSED',
      group: 'identity',
      help: 'answer to CHAOS TXT version.bind and version.server',
    },
    'node-id': {
      value: 'ID',
      defaultText: 'HOST-PID',
      group: 'identity',
      help: 'this node in Redis, metrics and the status page',
    },
    redis: {
      value: 'URL',
      file: 'redis-url-file',
      env: 'GSLB_REDIS_URL',
      group: 'health through Redis',
      help: 'health from agents through Redis: redis://, rediss://, sentinel(s)://',
    },
    ...redisConnection('health through Redis'),
    'redis-prefix': { ...REDIS_PREFIX, group: 'health through Redis' },
    quorum: { ...QUORUM, group: 'health through Redis' },
    'max-age': { ...MAX_AGE, group: 'health through Redis' },
    grace: {
      value: 'DUR',
      default: '30s',
      group: 'health through Redis',
      help: 'with Redis unreachable, answer from the last known state this long',
    },
    'stale-policy': {
      value: 'open|keep',
      default: 'open',
      group: 'health through Redis',
      help: 'after --grace: open (every target up) or keep (the last known state)',
    },
    admin: {
      value: 'ADDR:PORT',
      group: 'admin',
      help: 'the status page, /metrics and the API; a bare PORT means loopback',
    },
    'admin-token': {
      value: 'TOKEN',
      file: 'admin-token-file',
      env: 'GSLB_ADMIN_TOKEN',
      group: 'admin',
      help: 'bearer token for the admin API; required off loopback',
    },
    'admin-token-file': {
      value: 'FILE',
      group: 'admin',
      help: 'the admin token from this file (one line): it stays out of ps',
    },
    'log-level': { ...LOG_LEVEL, group: 'logging' },
    'query-log-sample': {
      value: 'N',
      default: '0',
      group: 'logging',
      help: 'log one query in N: client subnet, name, type, decision; 0 logs none',
    },
    dnstap: {
      value: 'WHERE',
      group: 'logging',
      help: 'stream queries and replies to dnstap: unix:PATH or tcp:ADDR:PORT',
    },
    'dnstap-sample': {
      value: 'N',
      default: '1',
      group: 'logging',
      help: 'send one query in N (with its response) to dnstap',
    },
    'dnstap-only': {
      value: 'WHAT',
      default: 'both',
      group: 'logging',
      help: 'dnstap messages: queries, responses or both',
    },
  },
  exitCodes: [
    '0 stopped by SIGTERM or SIGINT',
    '1 refused to start (invalid zones, GeoIP, ports, admin, a secret or TLS file)',
  ],
} as const satisfies CommandSpec;

export const AGENT = {
  name: 'agent',
  summary: 'a probe agent: learns its targets from the DNS nodes through Redis, probes, publishes',
  flags: {
    datacenter: { value: 'NAME', required: true, help: 'the datacenter this agent probes from' },
    id: { value: 'ID', defaultText: 'DATACENTER-HOST', help: 'this agent, unique among agents' },
    'log-level': LOG_LEVEL,
    redis: { ...REDIS_URL, group: 'Redis' },
    ...redisConnection('Redis'),
    'redis-prefix': { ...REDIS_PREFIX, group: 'Redis' },
  },
  exitCodes: ['0 stopped by SIGTERM or SIGINT', '1 a secret or TLS file cannot be used'],
} as const satisfies CommandSpec;

export const DRAIN = {
  name: 'drain',
  summary: 'take an endpoint or a datacenter out of every answer on every node, through Redis',
  flags: {
    endpoint: { value: 'ADDR', help: "the endpoint (IP address, or a cname endpoint's host name) to take out" },
    datacenter: { value: 'NAME', help: 'the datacenter to take out' },
    for: {
      value: 'DUR',
      defaultText: 'until undrained',
      help: 'undrain by itself after this long, e.g. 90s, 10m or 2h (at most 30 days)',
    },
    reason: { value: 'TEXT', help: 'shown by --list and on the status page' },
    list: { help: 'list what is drained, by whom and until when' },
    redis: { ...REDIS_URL, group: 'Redis' },
    ...redisConnection('Redis'),
    'redis-prefix': { ...REDIS_PREFIX, group: 'Redis' },
  },
  exitCodes: ['1 Redis unreachable, or a secret or TLS file cannot be used'],
} as const satisfies CommandSpec;

export const UNDRAIN = {
  name: 'undrain',
  summary: 'put a drained endpoint or datacenter back into the answers',
  flags: {
    endpoint: { value: 'ADDR', help: "the endpoint (IP address, or a cname endpoint's host name) to put back" },
    datacenter: { value: 'NAME', help: 'the datacenter to put back' },
    redis: { ...REDIS_URL, group: 'Redis' },
    ...redisConnection('Redis'),
    'redis-prefix': { ...REDIS_PREFIX, group: 'Redis' },
  },
  exitCodes: ['1 Redis unreachable, or a secret or TLS file cannot be used'],
} as const satisfies CommandSpec;

export const CHECK = {
  name: 'check',
  summary: 'validate every zone without serving; every error as file:line: message',
  flags: {
    zones: { value: 'DIR', required: true, help: 'one folder per zone, with its master files and policy' },
  },
  exitCodes: ['1 the zones are not valid'],
} as const satisfies CommandSpec;

export const EXPLAIN = {
  name: 'explain',
  summary: 'the decision path for one query: client, location, region, candidates, policy, records',
  positionals: [{ name: 'NAME' }, { name: 'TYPE', optional: true }],
  flags: {
    zones: { value: 'DIR', required: true, help: 'one folder per zone, with its master files and policy' },
    client: {
      value: 'IP[/PREFIX]',
      required: true,
      help: "the resolver's address, or with /PREFIX a client subnet sent as ECS",
    },
    geoip: {
      value: 'FILE',
      multiple: true,
      defaultText: 'the bundled DB-IP country database',
      help: 'an mmdb database: City, Country, or ASN (for asns); first hit wins',
    },
    down: { value: 'DC', multiple: true, help: 'answer as if this datacenter were down' },
    dnssec: { help: 'ask with DNSSEC OK (DO=1): show the signed answer and the keys that sign it' },
    json: { help: 'print the explanation as JSON' },
  },
  exitCodes: ['1 the zones are not valid'],
} as const satisfies CommandSpec;

export const SIMULATE = {
  name: 'simulate',
  summary: 'how a sample of client traffic splits across datacenters, now (or live) and with some down',
  flags: {
    zones: { value: 'DIR', required: true, help: 'one folder per zone, with its master files and policy' },
    clients: { value: 'FILE', required: true, help: 'the traffic sample: CSV lines subnet,weight[,name]' },
    down: { value: 'DC', multiple: true, help: 'a second scenario with this datacenter down' },
    name: { value: 'NAME', multiple: true, defaultText: 'every load-balanced name', help: 'only this name' },
    geoip: {
      value: 'FILE',
      multiple: true,
      defaultText: 'the bundled DB-IP country database',
      help: 'an mmdb database: City, Country, or ASN (for asns); first hit wins',
    },
    json: { help: 'print the result as JSON' },
    redis: {
      value: 'URL',
      file: 'redis-url-file',
      env: 'GSLB_REDIS_URL',
      defaultText: 'every endpoint up',
      group: 'live health',
      help: "now is the agents' verdicts, drains and load figures in this Redis",
    },
    ...redisConnection('live health'),
    'redis-prefix': { ...REDIS_PREFIX, group: 'live health' },
    quorum: { ...QUORUM, group: 'live health' },
    'max-age': { ...MAX_AGE, group: 'live health' },
  },
  exitCodes: [
    '1 the zones are not valid, or Redis cannot be read (within 5 s)',
    '2 usage error, or a bad line in the clients file',
    '3 a datacenter is past its capacity in a scenario',
  ],
} as const satisfies CommandSpec;

export const KEYGEN = {
  name: 'keygen',
  summary: "write a new DNSSEC key pair into a zone's keys/, in BIND's format",
  positionals: [{ name: 'APEX' }],
  flags: {
    zones: { value: 'DIR', required: true, help: 'one folder per zone; the key goes into DIR/APEX/keys/' },
    algorithm: {
      value: 'ECDSAP256SHA256|ED25519',
      default: 'ECDSAP256SHA256',
      help: 'the key algorithm (13 and 15 are accepted too)',
    },
    ksk: { help: 'a key-signing key (flags 257), to pair with a --zsk' },
    zsk: { help: 'a zone-signing key (flags 256), to pair with a --ksk' },
  },
  exitCodes: ['0 the key written; its file name (without .key/.private) on stdout', '1 the key cannot be written'],
} as const satisfies CommandSpec;

export const DS = {
  name: 'ds',
  summary: "the DS records (SHA-256) to put in the parent zone, from a zone's keys/",
  positionals: [{ name: 'APEX' }],
  flags: {
    zones: { value: 'DIR', required: true, help: 'one folder per zone, the keys in DIR/APEX/keys/' },
  },
  exitCodes: ['1 the keys are not valid (each error as file:line: message [CODE])'],
} as const satisfies CommandSpec;

export const IMPORT = {
  name: 'import',
  summary: 'migrate a gdnsd config folder or a PowerDNS zone file with LUA records into a zone folder',
  positionals: [{ name: 'FORMAT' }, { name: 'SOURCE' }, { name: 'OUT' }],
  flags: {
    partial: { help: 'write what can be translated even when some parts cannot (each is still listed)' },
    origin: {
      value: 'APEX',
      defaultText: "pdns-lua: $ORIGIN, else the file's name without .zone; gdnsd: all",
      help: 'pdns-lua: the zone apex of ZONEFILE; gdnsd: import only this zone of DIR/zones/',
    },
    geoip: {
      value: 'FILE',
      help: "pdns-lua: the MaxMind database that places pickclosest's addresses",
    },
  },
  exitCodes: [
    '0 OUT/APEX written for each zone (with --partial, parts may be left out: listed on stderr)',
    '1 nothing written: source unreadable or bad, parts untranslatable (no --partial), OUT/APEX exists',
  ],
} as const satisfies CommandSpec;

/** The commands in the order `gslb help` lists them. */
export const COMMANDS: readonly CommandSpec[] = [
  SERVE,
  AGENT,
  CHECK,
  EXPLAIN,
  SIMULATE,
  DRAIN,
  UNDRAIN,
  KEYGEN,
  DS,
  IMPORT,
];
