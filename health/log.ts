// The one logger interface (pino-compatible) and the one silent logger. It lives here, in the lowest
// layer that logs (zones/ and geo/ return errors instead), so health/ and server/ share it;
// server/log.ts re-exports it for the server's modules. Nothing logs on its own without one.

/** pino's call shape: a context object or a plain message first, then an optional message. */
export type LogFn = (obj: object | string, msg?: string) => void;

export interface Logger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

const noop: LogFn = () => {};

/** Discards everything; the default wherever a logger is optional. */
export const silentLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });
