// Minimal pino-compatible logger interface, so modules can log before (and without) pino.

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
