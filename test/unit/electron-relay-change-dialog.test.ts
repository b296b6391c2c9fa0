// Main's own question before a stored token goes to a changed relay: both relays spelled out
// (plaintext loudly), Cancel is the default and the Escape answer, only the second button agrees.
import { describe, expect, it } from 'vitest';
import { electronStandIn } from '../harness/electron-stand-in';
import {
  createRelayChangeDialog,
  relayChangeText,
} from '../../src-main/electron/relay-change-dialog';
import type { RelayChange } from '../../src-main/services/token-gate';

const change: RelayChange = {
  profileName: 'Corp relay',
  from: {
    host: 'relay.corp.example',
    port: 443,
    serverName: null,
    caFile: '/etc/corp-ca.pem',
    pinSha256: null,
    insecure: false,
  },
  to: {
    host: 'relay.evil.example',
    port: 80,
    serverName: null,
    caFile: '/etc/corp-ca.pem',
    pinSha256: null,
    insecure: true,
  },
  fields: ['host', 'port', 'insecure'],
};

describe('relay change dialog', () => {
  it('names the old and the new relay, and says plaintext out loud', () => {
    const { message, detail } = relayChangeText(change);
    expect(message).toBe('Send your token to the changed relay "Corp relay"?');
    expect(detail).toContain('relay.corp.example:443 (CA file /etc/corp-ca.pem, no pin)');
    expect(detail).toContain('relay.evil.example:80 (PLAINTEXT, not encrypted)');
  });

  it('agrees only when the user picks the second button; Cancel is the default', async () => {
    const shown: { window: unknown; options: Record<string, unknown> }[] = [];
    let response = 0;
    electronStandIn.dialog = {
      showMessageBox: (window: unknown, options?: Record<string, unknown>) => {
        shown.push(options ? { window, options } : { window: null, options: window as never });
        return Promise.resolve({ response });
      },
    };
    const window = { isDestroyed: () => false };
    const ask = createRelayChangeDialog(() => window as never);
    expect(await ask(change)).toBe(false);
    response = 1;
    expect(await ask(change)).toBe(true);
    expect(shown[0]?.window).toBe(window);
    expect(shown[0]?.options).toMatchObject({ defaultId: 0, cancelId: 0, type: 'warning' });
    expect((shown[0]?.options.buttons as string[])[0]).toBe('Cancel');
    // Without a window the dialog is still main's own, just not attached.
    expect(await createRelayChangeDialog(() => null)(change)).toBe(true);
    expect(shown[2]?.window).toBeNull();
  });
});
