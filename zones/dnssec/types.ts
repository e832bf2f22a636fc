// What a signed zone is made of: its keys (read from the zone folder's keys/, BIND's file format),
// the key set in force at a time, and the signing settings from the policy's `dnssec:` section.
// Shared by the key reader (keys.ts), the signer (signer.ts), the NSEC chain (nsec.ts) and the server.
import type { KeyObject } from 'node:crypto';

/** DNSSEC algorithm numbers we sign with (RFC 8624 recommends both; nothing else is accepted). */
export const ALGORITHM = { ECDSAP256SHA256: 13, ED25519: 15 } as const;
export type Algorithm = (typeof ALGORITHM)[keyof typeof ALGORITHM];

/** DNSKEY flags: Zone Key (256) and Secure Entry Point (1). */
export const DNSKEY_FLAGS = { ZONE: 256, SEP: 1 } as const;

/** One key pair from keys/: `K<apex>.+<alg>+<tag>.key` and `.private`. */
export interface ZoneKey {
  /** The .key file, relative to the zones directory (for messages). */
  readonly file: string;
  /** RFC 4034 appendix B key tag, computed from the DNSKEY RDATA (not trusted from the file name). */
  readonly tag: number;
  readonly algorithm: Algorithm;
  /** 256 (ZSK) or 257 (KSK / combined signing key). */
  readonly flags: number;
  /** flags & SEP. */
  readonly sep: boolean;
  /** The DNSKEY RDATA: flags (2), protocol 3 (1), algorithm (1), public key. */
  readonly dnskey: Buffer;
  readonly privateKey: KeyObject;
  /** BIND timing metadata in ms since the epoch; null when the file does not set it. */
  readonly publish: number | null;
  readonly activate: number | null;
  readonly inactive: number | null;
  readonly delete: number | null;
}

/** The policy's `dnssec:` section (all in seconds), with defaults filled in. */
export interface DnssecSettings {
  /** Signature validity window (expiration - inception). Default 14 days. */
  readonly validity: number;
  /** Re-sign when less than this remains before expiration. Default validity / 4. */
  readonly refresh: number;
  /** Inception is this far before the signing time (clock skew). Default 3600. */
  readonly inceptionOffset: number;
  /** TTL of DNSKEY, CDS and CDNSKEY. Default 3600. */
  readonly dnskeyTtl: number;
}

export const DEFAULT_DNSSEC: DnssecSettings = Object.freeze({
  validity: 14 * 86400,
  refresh: (14 * 86400) / 4,
  inceptionOffset: 3600,
  dnskeyTtl: 3600,
});

/** The keys in force at one time (keyStateAt in keys.ts). */
export interface KeyState {
  /** In the DNSKEY RRset: published (Publish <= now or unset) and not deleted (Delete > now or unset). */
  readonly published: readonly ZoneKey[];
  /** Sign every RRset but DNSKEY, CDS and CDNSKEY: active non-SEP keys, else the active SEP keys (combined). */
  readonly zsks: readonly ZoneKey[];
  /** Sign DNSKEY, CDS and CDNSKEY: active SEP keys, else every active key. */
  readonly ksks: readonly ZoneKey[];
  /** SEP keys that are active: what CDS/CDNSKEY (RFC 7344) and `gslb ds` publish. */
  readonly sepActive: readonly ZoneKey[];
  /** When this state next changes (a Publish, Activate, Inactive or Delete in the future); Infinity if never. */
  readonly nextChange: number;
}

/** A zone's DNSSEC configuration as loaded: the keys and settings. Zone.dnssec is null for unsigned zones. */
export interface ZoneDnssec {
  readonly keys: readonly ZoneKey[];
  readonly settings: DnssecSettings;
  /** The key state at load time: what this build of the zone serves (node.ts reloads at nextChange). */
  readonly state: KeyState;
}
