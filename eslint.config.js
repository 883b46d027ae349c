// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'var/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // The engine is a pure function of (book, ordered input): no I/O, no clock, no randomness,
    // no floating point helpers. Replay and failover depend on it (DESIGN.md §2, invariant 6).
    files: ['src/engine/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'os', 'crypto', 'net', 'http', 'worker_threads'],
              message: 'src/engine does no I/O.',
            },
            {
              group: ['ioredis', 'mysql2', 'mysql2/*', 'prom-client', 'bullmq', 'fastify', 'pino'],
              message: 'src/engine does no I/O.',
            },
            { group: ['../*', '!../engine/*'], message: 'src/engine imports nothing outside itself.' },
          ],
        },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Time comes from the command (the stream id).' },
        { object: 'Math', property: 'random', message: 'The engine is deterministic.' },
        { object: 'Math', property: 'round', message: 'No floating-point rounding near money.' },
        { object: 'performance', property: 'now', message: 'Time comes from the command.' },
        { object: 'process', property: 'hrtime', message: 'Time comes from the command.' },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'parseFloat', message: 'Money is integers.' },
        { name: 'setTimeout', message: 'The engine has no timers.' },
        { name: 'setInterval', message: 'The engine has no timers.' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: 'NewExpression[callee.name="Date"]',
          message: 'Time comes from the command (the stream id).',
        },
      ],
    },
  },
);
