// The layer rules, checked by dependency-cruiser in `npm run lint` (alone: `npm run layers`).
// geo/ < zones/ < health/ < server/: each layer imports only from the layers below it. See
// docs/architecture.md, "Layers". Type-only imports count like any other (tsPreCompilationDeps).
const CORE = '^(geo|zones|health|server)/';

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles anywhere, type-only imports included: move the shared piece into its own module.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'geo-imports-no-upper-layer',
      severity: 'error',
      comment: 'geo/ is the bottom layer: it knows addresses and GeoIP files, nothing of zones/, health/ or server/.',
      from: { path: '^geo/' },
      to: { path: '^(zones|health|server)/' },
    },
    {
      name: 'zones-imports-no-upper-layer',
      severity: 'error',
      comment: 'zones/ may import geo/ only: health/ and server/ are above it.',
      from: { path: '^zones/' },
      to: { path: '^(health|server)/' },
    },
    {
      name: 'health-imports-no-server',
      severity: 'error',
      comment: 'health/ may import geo/ and zones/, never server/: wiring that needs both lives in server/.',
      from: { path: '^health/' },
      to: { path: '^server/' },
    },
    {
      name: 'cli-only-from-cli',
      severity: 'error',
      comment:
        'server/cli/ is the command line: only server/cli/ itself, bin/, test/ and scripts/ may import it. ' +
        'Core code that a command needs moves out of server/cli/.',
      from: { pathNot: '^(server/cli|bin|test|scripts)/' },
      to: { path: '^server/cli/' },
    },
    {
      name: 'core-imports-no-tests-or-scripts',
      severity: 'error',
      comment: 'geo/, zones/, health/ and server/ ship; test/ and scripts/ do not.',
      from: { path: CORE },
      to: { path: '^(test|scripts)/' },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      comment:
        'An import of a TypeScript file the checker cannot resolve is an edge it cannot see, so a cycle ' +
        'or a layer break through it would go unnoticed.',
      from: { path: '\\.ts$' },
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // Third-party packages and built output are leaves: their own imports are not ours to check.
    doNotFollow: { path: ['node_modules', '^dist/'] },
    // Count `import type` and type-only uses too: a type cycle is still a tangle.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'node', 'default'] },
  },
};
