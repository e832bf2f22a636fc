// What stops a running `gslb serve`: SIGTERM, SIGINT, or the parent that started it with an IPC
// channel going away (scripts/demo.mjs starts it so: a parent killed with SIGKILL passes no signal on).
// A normal `gslb serve` has no channel and ignores its stdin, so a closed stdin stops nothing.

/** Calls stop once, with the first reason; repeats are ignored (Ctrl-C reaches the parent and us both). */
export function onStopRequest(stop: (reason: string) => void): void {
  let requested = false;
  const request = (reason: string) => {
    if (requested) return;
    requested = true;
    stop(reason);
  };
  process.on('SIGTERM', () => request('SIGTERM'));
  process.on('SIGINT', () => request('SIGINT'));
  if (process.channel) {
    // The channel alone must not keep a stopped server alive; its end still says the parent is gone.
    process.channel.unref();
    process.on('disconnect', () => request('parent exited'));
  }
}
