// TCP check: healthy when a connection to host:port is accepted within the timeout.
import net from 'node:net';
import type { ProbeResult, CheckSpec } from '../probe-types.js';
import { attempt, errorReason } from './common.js';

export function tcpProbe(spec: CheckSpec, signal?: AbortSignal): Promise<ProbeResult> {
  return attempt(spec, signal, (finish, defer) => {
    const socket = net.connect({ host: spec.host, port: spec.port });
    defer(() => socket.destroy());
    socket.once('connect', () => finish(true, 'connected'));
    socket.on('error', (err) => finish(false, errorReason(err)));
  });
}
