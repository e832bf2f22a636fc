// Waiting on a condition instead of sleeping a guessed time: fast when the machine is fast, patient
// when it is loaded, and a failure says what never happened.

/** Polls `cond` until it holds; resolves with the ms it took, rejects after timeoutMs naming `what`. */
export async function until(
  what: string,
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 4000,
  everyMs = 20,
): Promise<number> {
  const t0 = Date.now();
  while (!(await cond())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return Date.now() - t0;
}
