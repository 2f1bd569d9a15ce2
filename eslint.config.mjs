// Lint config: typescript-eslint's recommended rules plus the house rules from DESIGN.md
// (protocol code must not import Temporal or Redis; workflow code only @temporalio/workflow and pure modules).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'data/**', 'test-results/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['src/antom/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: ['@temporalio/*', 'ioredis', '../store/*', '../workflows/*', '../activities/*'] }],
    },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          { group: ['@temporalio/client', '@temporalio/worker', '@temporalio/activity', 'ioredis', 'undici', 'node:*', '../antom/transport*', '../store/*'], message: 'workflow code is deterministic: only @temporalio/workflow, type imports and pure modules' },
        ],
      }],
    },
  },
  {
    files: ['bin/**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', module: 'readonly', process: 'readonly', __dirname: 'readonly' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
);
