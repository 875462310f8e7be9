// ESLint for the web app (frontend_unit_test runs it with --max-warnings 0): TypeScript's recommended rules and
// React's rules of hooks; the end-to-end script runs in Node and evaluates code in the browser.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist', 'node_modules'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['src/**/*.{ts,tsx}'],
    languageOptions: { globals: globals.browser },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      // Unused parameters named _x document a signature (mocks, callbacks).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  { files: ['e2e/**/*.mjs', '*.{js,ts}'], languageOptions: { globals: { ...globals.node, ...globals.browser } } },
);
