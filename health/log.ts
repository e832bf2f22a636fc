// The logger shape health/ accepts (pino-compatible); it never logs on its own without one.
export type HealthLogFn = (obj: object | string, msg?: string) => void;

export interface HealthLogger {
  debug: HealthLogFn;
  info: HealthLogFn;
  warn: HealthLogFn;
  error: HealthLogFn;
}

const noop: HealthLogFn = () => {};
export const quietLogger: HealthLogger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });
