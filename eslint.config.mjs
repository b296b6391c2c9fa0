// Lint: type-checked rules, no floating promises, and the folder rules that keep each
// runtime in its lane (only src-main/electron, src-main/preload and main.ts see electron;
// the renderer sees only src-main/shared; raw IPC only in the two files that own it).
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

const noElectron = {
  paths: [
    {
      name: 'electron',
      message: 'Only src-main/electron, src-main/preload and main.ts may import electron.',
    },
  ],
};

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'release/**',
      'node_modules/**',
      'artifacts/**',
      'coverage/**',
      '**/*.mjs',
      '**/*.cjs',
      '*.config.ts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        project: ['./tsconfig.json', './src-renderer/tsconfig.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true, allowNullish: true },
      ],
      'no-restricted-imports': ['error', noElectron],
    },
  },
  {
    files: ['src-main/electron/**/*.ts', 'src-main/preload/**/*.ts', 'src-main/main.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    files: [
      'src-main/engine/**/*.ts',
      'src-main/relay/**/*.ts',
      'src-main/shared/**/*.ts',
      'src-main/services/**/*.ts',
      'src-main/cli/**/*.ts',
    ],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='ipcMain']",
          message: 'Raw IPC lives only in src-main/electron/ipc-main.ts.',
        },
      ],
    },
  },
  {
    files: ['src-renderer/**/*.{ts,tsx}'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      'no-restricted-imports': [
        'error',
        {
          paths: noElectron.paths,
          patterns: [
            { group: ['node:*'], message: 'The renderer runs in a sandbox: no Node modules.' },
            {
              group: [
                '**/src-main/engine/**',
                '**/src-main/services/**',
                '**/src-main/electron/**',
                '**/src-main/relay/**',
              ],
              message: 'The renderer imports only src-main/shared.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.{ts,tsx}', 'bench/**/*.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
);
