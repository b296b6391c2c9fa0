// Child process for engine-os-trust.test.ts: runs one engine against the relay named in its
// environment and prints one JSON line: whether Node's 'system' store holds the probe CA, and
// how the connection ended (active, or the error code). Its environment is the point
// (SSL_CERT_FILE / SSL_CERT_DIR are where OpenSSL, and so Node, read the OS store on Linux).

import tls from 'node:tls';
import { createEngine } from '../../src-main/engine/engine';

const env = process.env;
const probe = (env['TRUST_PROBE_CA'] ?? '').trim();
const caFile = env['TRUST_CA_PEM'];
const token = env['TRUST_TOKEN'] ?? '';

const system = tls.getCACertificates('system');
const engine = createEngine({
  relay: {
    host: '127.0.0.1',
    port: Number(env['TRUST_RELAY_PORT']),
    serverName: 'localhost',
    opener: 'client',
    ...(caFile !== undefined ? { ca: caFile } : {}),
  },
  tunnels: [],
  getToken: () => Promise.resolve(token),
});

function finish(result: { state: string; code: string | null }): void {
  process.stdout.write(
    JSON.stringify({
      systemHasProbe: system.some((pem) => pem.trim() === probe),
      systemCount: system.length,
      ...result,
    }) + '\n',
  );
  void engine.close().then(() => process.exit(0));
}

engine.on('snapshot', (s) => {
  if (s.state === 'active') finish({ state: s.state, code: null });
  else if (s.state !== 'authenticating' && s.lastError !== null)
    finish({ state: s.state, code: s.lastError.code });
});
engine.connect();
