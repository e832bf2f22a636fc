// The per-query state of one pipeline: everything the query path writes while answering, in one
// object the pipeline owns (no module singletons shared by every pipeline in the process) and resets
// at the top of handleQuery, so nothing one query set can reach the next one, even after a throw.
import { TrieHit } from '../geo/trie.js';
import type { OptFields } from './encode.js';
import { ClientResolver } from './gslb/client.js';
import { QueryDecoder, type Decoded } from './query.js';
import type { QueryTrace } from './trace.js';

export class QueryContext implements OptFields {
  /** Decodes each query into its one reused query object. */
  readonly decoder: QueryDecoder;
  /** Resolves each query's client into its one reused client address. */
  readonly clients = new ClientResolver();
  /** The client's class trie lookup: class id and depth (the widest prefix its class holds over). */
  readonly hit = new TrieHit();

  // The reply's OPT: NSID is the pipeline's, the ECS scope and EDE this query's.
  readonly nsid: Buffer | null;
  ecsScope = 0;
  ede: number | null = null;
  /** The COOKIE option to send: the client cookie and our server cookie (cookieBytes), or null. */
  cookie: Buffer | null = null;
  /** Where this query's cookie reply is written (8 client bytes, 16 server bytes), reused. */
  readonly cookieBytes = Buffer.alloc(24);
  /** The query carried a server cookie of ours (fresh or stale): its UDP replies are never rate limited. */
  cookieGenuine = false;

  // What response rate limiting keys on, set along the way (no allocation: keys already made).
  /** The name the response is counted under: the query name, or the encloser a wildcard or referral came from. */
  rrlName = '';
  /** The key of the zone the query fell in ('' when none): NXDOMAIN and referrals count per zone. */
  zoneKey = '';

  // What the counters and the query log need, set along the way (no allocation).
  /** The decoder's verdict on this query. */
  kind: Decoded['kind'] = 'ok';
  zoneSlot = 0;
  datacenter: string | null = null;
  outcome: string | null = null;

  /** Set while a query is traced (explain): what the query path did. Null on the hot path. */
  trace: QueryTrace | null = null;

  // Sampling schedules, kept across queries: latency is timed on one query in 8, one in N is logged.
  timeCounter = 0;
  sampleCounter = 0;

  /** cookies: COOKIE options are read (else ignored, for --no-cookies). */
  constructor(nsid: Buffer | null, cookies = true) {
    this.nsid = nsid;
    this.decoder = new QueryDecoder(cookies);
  }

  /** Forgets everything the last query set (the decoder and resolver refill their own objects). */
  reset(): void {
    this.clearOpt();
    this.cookie = null;
    this.cookieGenuine = false;
    this.rrlName = '';
    this.zoneKey = '';
    this.kind = 'ok';
    this.zoneSlot = 0;
    this.datacenter = null;
    this.outcome = null;
  }

  /** Drops this query's ECS scope and EDE (before a SERVFAIL made after a throw). */
  clearOpt(): void {
    this.ecsScope = 0;
    this.ede = null;
  }
}
