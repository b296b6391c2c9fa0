// The folder rules of src-main (README "Where things live"): which folder may import which,
// where Node and Electron may be used, and the two files that own raw IPC. Kept apart from
// eslint.config.mjs so test/unit/lint-boundaries.test.ts can lint fixtures with exactly these
// rules and expect each one to fire.

/** `from` may not import any of `folders` (src-main siblings, matched by relative path). */
function siblings(folders) {
  return { regex: `^(\\.\\./)+(${folders.join('|')})(/|$)` };
}

const ELECTRON = {
  name: 'electron',
  message: 'Only src-main/electron, src-main/preload and main.ts may import electron.',
};
const NODE = { regex: '^node:', message: 'This folder runs outside Node: no node:* modules.' };

/** Each folder with what it may not import, and why. */
const FOLDERS = [
  {
    folder: 'src-main/shared',
    paths: [ELECTRON],
    patterns: [
      NODE,
      {
        ...siblings([
          'protocol',
          'engine',
          'engine-host',
          'relay',
          'services',
          'electron',
          'preload',
          'cli',
        ]),
        message: 'shared/ runs anywhere and imports nothing else of src-main.',
      },
    ],
  },
  {
    folder: 'src-main/protocol',
    paths: [ELECTRON],
    patterns: [
      {
        ...siblings(['engine', 'engine-host', 'relay', 'services', 'electron', 'preload', 'cli']),
        message: 'protocol/ is the wire code both ends share: it imports only shared/.',
      },
    ],
  },
  {
    folder: 'src-main/engine',
    paths: [ELECTRON],
    patterns: [
      {
        ...siblings(['engine-host', 'relay', 'services', 'electron', 'preload', 'cli']),
        message: 'engine/ imports only protocol/ and shared/ (it runs in the engine host).',
      },
    ],
  },
  {
    folder: 'src-main/engine-host',
    paths: [ELECTRON],
    patterns: [
      {
        ...siblings(['services', 'electron', 'preload', 'cli']),
        message:
          'engine-host/ is plain Node in its own process: it imports engine/, relay/, protocol/ and shared/ only.',
      },
    ],
  },
  {
    folder: 'src-main/relay',
    paths: [ELECTRON],
    patterns: [
      {
        ...siblings(['engine', 'engine-host', 'services', 'electron', 'preload', 'cli']),
        message: 'relay/ imports only protocol/ and shared/, never the client engine.',
      },
    ],
  },
  {
    folder: 'src-main/services',
    paths: [ELECTRON],
    patterns: [
      {
        ...siblings(['electron', 'preload', 'cli']),
        message: 'services/ is plain Node glue: no Electron layer, no CLI.',
      },
    ],
  },
  {
    folder: 'src-main/cli',
    paths: [ELECTRON],
    patterns: [
      {
        ...siblings(['electron', 'preload']),
        message: 'The CLIs run in plain Node: no Electron layer.',
      },
    ],
  },
  {
    folder: 'src-main/preload',
    paths: [],
    patterns: [
      NODE,
      {
        ...siblings(['protocol', 'engine', 'engine-host', 'relay', 'services', 'electron', 'cli']),
        message: 'The preload is sandboxed: it imports electron and shared/ only.',
      },
    ],
  },
];

const RAW_IPC_MAIN = {
  selector: "Identifier[name='ipcMain']",
  message: 'Raw ipcMain lives only in src-main/electron/ipc-main.ts.',
};
const RAW_IPC_RENDERER = {
  selector: "Identifier[name='ipcRenderer']",
  message: 'Raw ipcRenderer lives only in src-main/preload/preload.ts.',
};

/** Flat-config blocks for the folder rules; later blocks refine earlier ones. */
export const boundaryConfigs = [
  {
    files: ['**/*.{ts,tsx,mjs,cjs}'],
    rules: {
      'no-restricted-imports': ['error', { paths: [ELECTRON] }],
      'no-restricted-syntax': ['error', RAW_IPC_MAIN, RAW_IPC_RENDERER],
    },
  },
  {
    files: ['src-main/electron/**/*.ts', 'src-main/main.ts'],
    rules: {
      'no-restricted-imports': 'off',
      'no-restricted-syntax': ['error', RAW_IPC_MAIN, RAW_IPC_RENDERER],
    },
  },
  { files: ['src-main/electron/ipc-main.ts'], rules: { 'no-restricted-syntax': 'off' } },
  {
    files: ['src-main/preload/preload.ts'],
    rules: { 'no-restricted-syntax': ['error', RAW_IPC_MAIN] },
  },
  ...FOLDERS.map(({ folder, paths, patterns }) => ({
    files: [`${folder}/**/*.ts`],
    rules: { 'no-restricted-imports': ['error', { paths, patterns }] },
  })),
  {
    files: ['src-renderer/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [ELECTRON],
          patterns: [
            { regex: '^node:', message: 'The renderer runs in a sandbox: no Node modules.' },
            {
              regex: '(^|/)src-main/(?!shared/)',
              message: 'The renderer imports only src-main/shared.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['test/**/*.{ts,tsx}', 'bench/**/*.ts', 'scripts/**/*.{mjs,cjs}'],
    rules: { 'no-restricted-imports': 'off', 'no-restricted-syntax': 'off' },
  },
];
