// The renderer project's setup file: puts the factory for main's real services
// (main-host-client.ts, over a host process the test file starts when it first asks) on
// globalThis for test/renderer/main-services.ts, and closes what a test started: each main
// after its test, the relays and the host after its file.
import { afterAll, afterEach, inject } from 'vitest';
import { MAIN_SERVICES_GLOBAL } from '../renderer/main-services';
import { createMainHostClient } from './main-host-client';

const client = createMainHostClient(inject('mainHostBundle'));
(globalThis as Record<string, unknown>)[MAIN_SERVICES_GLOBAL] = client.factory;

// Registered before any test file's hooks, so it runs after them (vitest runs after-hooks in
// reverse): the rendered app is unmounted before the main it talks to closes.
afterEach(() => client.afterTest());
afterAll(() => client.close());
