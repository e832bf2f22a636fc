// A suite whose peer or tool is missing: skipped with a visible reason on a developer's machine, a
// failure under CI=true (.ci/run installs every tool the tests use, so a missing one is a broken run).

/** Skips the suite, saying why, or under CI=true fails the run. Call from a before() hook. */
export function skipOrFail(ctx: Mocha.Context, reason: string, what = 'tool'): never {
  if (process.env['CI'] === 'true') throw new Error(`${reason} (CI=true: a missing ${what} fails the run)`);
  console.warn(`    skipped: ${reason}`);
  ctx.skip();
}
