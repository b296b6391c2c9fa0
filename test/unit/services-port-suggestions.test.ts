// Free-port suggestions on an injected probe: the bound on probes per suggestion (a port range
// where every bind fails costs at most maxProbes binds and ends in port_in_use), ports other
// tunnels are configured on skipped without a bind, the tunnel's own port kept while it
// listens, the top of the port range, and one suggestion at a time.
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_PORT_PROBES,
  createPortSuggestions,
  type PortProbe,
} from '../../src-main/services/port-suggestions';
import { ServiceError } from '../../src-main/services/errors';
import type { TunnelConfig } from '../../src-main/shared/model';

const tunnel = (id: string, localPort: number, localHost = '127.0.0.1'): TunnelConfig => ({
  id,
  name: id,
  kind: 'other',
  localHost,
  localPort,
  remoteHost: 'db',
  remotePort: 5432,
  enabled: true,
});

function recordingProbe(free: (port: number) => boolean) {
  const tried: number[] = [];
  const probe: PortProbe = (_host, port) => {
    tried.push(port);
    return Promise.resolve(free(port));
  };
  return { probe, tried };
}

describe('port suggestions', () => {
  it('stops after maxProbes binds when every port is taken, and says port_in_use', async () => {
    const { probe, tried } = recordingProbe(() => false);
    const ports = createPortSuggestions({ probe });
    const error = await ports
      .suggest({ port: 20_000, localHost: '127.0.0.1' }, [], false)
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServiceError);
    expect((error as ServiceError).code).toBe('port_in_use');
    expect(tried).toHaveLength(DEFAULT_MAX_PORT_PROBES);
    expect(ports.probes()).toBe(DEFAULT_MAX_PORT_PROBES);
    const small = createPortSuggestions({ probe, maxProbes: 3 });
    await expect(small.suggest({ port: 1, localHost: '::1' }, [], false)).rejects.toThrow();
    expect(small.probes()).toBe(3);
  });

  it('skips ports other tunnels are configured on without binding them', async () => {
    const { probe, tried } = recordingProbe(() => true);
    const ports = createPortSuggestions({ probe });
    const tunnels = [
      tunnel('a', 8080),
      tunnel('b', 8081, '0.0.0.0'),
      tunnel('c', 8082, '10.0.0.5'),
    ];
    // 8082 is on another address: free for 127.0.0.1.
    expect(await ports.suggest({ port: 8080, localHost: '127.0.0.1' }, tunnels, false)).toBe(8082);
    expect(tried).toEqual([8082]);
  });

  it("keeps a listening tunnel's own port, and probes it when the tunnel is not listening", async () => {
    const { probe, tried } = recordingProbe((port) => port !== 13_389);
    const ports = createPortSuggestions({ probe });
    const own = [tunnel('rdp', 13_389)];
    const request = { port: 13_389, localHost: '127.0.0.1', tunnelId: 'rdp' };
    expect(await ports.suggest(request, own, true)).toBe(13_389);
    expect(tried).toEqual([]);
    expect(await ports.suggest(request, own, false)).toBe(13_390);
    expect(tried).toEqual([13_389, 13_390]);
  });

  it('ends at port 65535', async () => {
    const { probe, tried } = recordingProbe(() => false);
    const ports = createPortSuggestions({ probe });
    await expect(
      ports.suggest({ port: 65_534, localHost: '127.0.0.1' }, [], false),
    ).rejects.toThrow(/No free local port/);
    expect(tried).toEqual([65_534, 65_535]);
  });

  it('runs one suggestion at a time', async () => {
    let active = 0;
    let most = 0;
    const probe: PortProbe = async () => {
      active += 1;
      most = Math.max(most, active);
      await new Promise((r) => setTimeout(r, 5));
      active -= 1;
      return false;
    };
    const ports = createPortSuggestions({ probe, maxProbes: 2 });
    const all = [1000, 2000, 3000].map((port) =>
      ports.suggest({ port, localHost: '127.0.0.1' }, [], false).catch(() => null),
    );
    await Promise.all(all);
    expect(most).toBe(1);
    expect(ports.probes()).toBe(6);
  });
});
