// The logger interface and the silent logger are health/log.ts's (the lowest layer that logs):
// re-exported here so the server's modules keep one short import.
export { silentLogger, type LogFn, type Logger } from '../health/log.js';
