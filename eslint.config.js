// Lint rules; the import restrictions keep module boundaries: geo/, health/ and zones/ never import server/.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const noServerImports = {
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        { group: ['**/server/*', '../server/*'], message: 'geo/, health/ and zones/ must not import server/' },
      ],
    },
  ],
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'examples/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  { files: ['geo/**/*.ts', 'health/**/*.ts', 'zones/**/*.ts'], rules: noServerImports },
  {
    files: ['**/*.js', '**/*.mjs', 'bin/gslb'],
    languageOptions: { globals: globals.node },
  },
);
