// Test helper: mounts the whole app over a bridge, exactly as main.tsx does over the preload's,
// and waits for the first snapshot to be drawn. `renderApp` takes main's real services
// (main-services.ts); `renderOnFake` the fake bridge, for the few states real parts cannot
// reach in a jsdom test.
import { act, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type {
  AppSnapshot,
  BridgeApi,
  WindowView as View,
} from '../../src-main/shared/ipc-contract';
import type { LogRecord } from '../../src-main/shared/model';
import { App } from '../../src-renderer/app';
import { AppProvider } from '../../src-renderer/app-context';
import { connectStore, createAppStore } from '../../src-renderer/store/app-store';
import { createFakeBridge, type FakeBridge } from '../harness/fake-bridge';
import type { MainUnderTest } from './main-services';

/**
 * Whole-app tests type and click like a person; on a loaded 2-core machine that can take
 * longer than vitest's 5 s default, so UI suites use this bound instead.
 */
export const UI_TEST_TIMEOUT_MS = 30_000;
/** How long a screen may take to show what main pushed after a real connection changed. */
export const MAIN_PUSH_TIMEOUT_MS = 10_000;

export interface RenderOptions {
  readonly view?: View;
  readonly systemLanguage?: string;
  /** For tests on fake timers: user-event must advance them. */
  readonly advanceTimers?: (ms: number) => void;
}

async function mount(bridge: BridgeApi, options: RenderOptions) {
  const store = createAppStore();
  const disconnect = connectStore(store, bridge);
  const user = userEvent.setup(
    options.advanceTimers ? { advanceTimers: options.advanceTimers } : {},
  );
  const view = render(
    <AppProvider store={store} bridge={bridge} systemLanguage={options.systemLanguage ?? 'en-US'}>
      <App initialView={options.view ?? 'status'} />
    </AppProvider>,
  );
  await screen.findByRole('navigation');
  // A screen's heading shows once the first snapshot is in (before, only "Loading").
  await screen.findByRole('heading', { level: 2 });
  return { store, user, disconnect, ...view };
}

/**
 * Main's pushes arrive between a test's steps, as IPC messages do: each is applied inside
 * act(), so React draws it before the next step looks (and does not warn).
 */
function actOnPushes(api: BridgeApi): BridgeApi {
  return {
    ...api,
    on: (event, listener) =>
      api.on(event, (payload) => {
        act(() => listener(payload));
      }),
  };
}

/** The app over main's real services. */
export async function renderApp(main: MainUnderTest, options: RenderOptions = {}) {
  return { main, ...(await mount(actOnPushes(main.api), options)) };
}

export interface FakeRenderOptions extends RenderOptions {
  readonly snapshot?: AppSnapshot;
  readonly logs?: readonly LogRecord[];
}

/** The app over the fake bridge (test/harness/fake-bridge.ts). */
export async function renderOnFake(options: FakeRenderOptions = {}) {
  const fake: FakeBridge = createFakeBridge({ snapshot: options.snapshot, logs: options.logs });
  return { fake, ...(await mount(fake.api, options)) };
}

/** What a person reads in an element: its text with runs of whitespace collapsed. */
export function text(element: Element): string {
  return (element.textContent ?? '').replace(/\s+/g, ' ').trim();
}

export function button(name: string | RegExp): HTMLButtonElement {
  return screen.getByRole<HTMLButtonElement>('button', { name });
}
