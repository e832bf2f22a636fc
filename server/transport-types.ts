// The one contract between transports and the query pipeline.

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
