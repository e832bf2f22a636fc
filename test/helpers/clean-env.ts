// Loaded before any test (.mocharc.json "require"): the developer's own GSLB_* variables (a Redis URL,
// an admin token, TLS files) would reach every command a test runs and change what it does; the
// tests start from none and set what they need themselves.
for (const name of Object.keys(process.env)) if (name.startsWith('GSLB_')) delete process.env[name];
