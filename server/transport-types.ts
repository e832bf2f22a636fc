// The one contract between transports and the query pipeline.
import type { CidrSet } from './cidr-set.js';
import type { ProxyDropReason } from './proxy/proxy-v2.js';

export type Transport = 'udp' | 'tcp';

export interface Peer {
  readonly address: string;
  readonly port: number;
  readonly family: 4 | 6;
}

/**
 * Answers one DNS message. Returns the reply bytes, or null to drop the message silently
 * (responses, packets too short to carry a header). Never throws: the pipeline catches.
 * For UDP the pipeline itself fits the reply to the client's size; TCP replies are whole.
 * The peer object may be reused for the next message: copy what you keep beyond the call.
 */
export type QueryHandler = (msg: Buffer, peer: Peer, transport: Transport) => Buffer | null;

/** A listener that takes a PROXY v2 header before each datagram and at the start of each connection. */
export interface ProxyOptions {
  /** Sources allowed to send PROXY headers (the proxies' own addresses). */
  readonly from: CidrSet;
  /** A datagram or connection dropped without a reply, and why (the lead counts it in metrics). */
  readonly onDrop: (reason: ProxyDropReason, transport: Transport) => void;
}
