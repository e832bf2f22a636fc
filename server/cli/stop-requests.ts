// What stops a running `gslb serve` or `gslb agent`: SIGTERM, SIGINT, or the parent that started it
// with an IPC channel going away (scripts/demo.mjs starts serve so: a parent killed with SIGKILL passes
// no signal on). A normal `gslb serve` has no channel and ignores its stdin, so a closed stdin stops
// nothing. A serve worker takes SIGTERM alone (its primary's, or a supervisor's to the whole group).

/**
 * Calls stop once, with the first of these signals; repeats are ignored. The listeners stay for good:
 * with none left, a signal's default action would kill the process mid-stop (exit 143 for SIGTERM).
 * Returns the request function, for other reasons to stop.
 */
export function onStopSignals(
  signals: readonly NodeJS.Signals[],
  stop: (reason: string) => void,
): (reason: string) => void {
  let requested = false;
  const request = (reason: string) => {
    if (requested) return;
    requested = true;
    stop(reason);
  };
  for (const signal of signals) process.on(signal, () => request(signal));
  return request;
}

/** Calls stop once, with the first reason; repeats are ignored (Ctrl-C reaches the parent and us both). */
export function onStopRequest(stop: (reason: string) => void): void {
  const request = onStopSignals(['SIGTERM', 'SIGINT'], stop);
  if (process.channel) {
    // The channel alone must not keep a stopped server alive; its end still says the parent is gone.
    process.channel.unref();
    process.on('disconnect', () => request('parent exited'));
  }
}
