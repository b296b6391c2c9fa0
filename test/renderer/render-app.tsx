// Test helper: mounts the whole app over the fake bridge, exactly as main.tsx does over the
// preload's bridge, and waits for the first snapshot to be drawn.
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { AppSnapshot } from '../../src-main/shared/ipc-contract';
import type { LogRecord } from '../../src-main/shared/model';
import { App, type View } from '../../src-renderer/app';
import { AppProvider } from '../../src-renderer/app-context';
import { connectStore, createAppStore } from '../../src-renderer/store/app-store';
import { createFakeBridge, type FakeBridge } from '../harness/fake-bridge';

/**
 * Whole-app tests type and click like a person; on a loaded 2-core machine that can take
 * longer than vitest's 5 s default, so UI suites use this bound instead.
 */
export const UI_TEST_TIMEOUT_MS = 30_000;

export interface RenderAppOptions {
  readonly snapshot?: AppSnapshot;
  readonly logs?: readonly LogRecord[];
  readonly view?: View;
  readonly systemLanguage?: string;
  /** For tests on fake timers: user-event must advance them. */
  readonly advanceTimers?: (ms: number) => void;
}

export async function renderApp(options: RenderAppOptions = {}) {
  const fake: FakeBridge = createFakeBridge({ snapshot: options.snapshot, logs: options.logs });
  const store = createAppStore();
  const disconnect = connectStore(store, fake.api);
  const user = userEvent.setup(
    options.advanceTimers ? { advanceTimers: options.advanceTimers } : {},
  );
  const view = render(
    <AppProvider store={store} bridge={fake.api} systemLanguage={options.systemLanguage ?? 'en-US'}>
      <App initialView={options.view ?? 'status'} />
    </AppProvider>,
  );
  await screen.findByRole('navigation');
  await screen.findByRole('heading', { level: 2 });
  return { fake, store, user, disconnect, ...view };
}

/** What a person reads in an element: its text with runs of whitespace collapsed. */
export function text(element: Element): string {
  return (element.textContent ?? '').replace(/\s+/g, ' ').trim();
}

export function button(name: string | RegExp): HTMLButtonElement {
  return screen.getByRole<HTMLButtonElement>('button', { name });
}
