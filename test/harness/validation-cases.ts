// The form cases main and the renderer are both held to: one tunnel draft or relay profile
// each, the tunnels already configured, and the field problems (message keys and parameters)
// the shared rules give. Main's router and the renderer's forms run the same list.
import type { FieldProblem, RelayProfile, TunnelDraft } from '../../src-main/shared/ipc-contract';
import type { TunnelConfig } from '../../src-main/shared/model';

export interface TunnelCase {
  readonly name: string;
  readonly draft: TunnelDraft;
  readonly expected: Readonly<Record<string, FieldProblem>>;
}

export interface RelayCase {
  readonly name: string;
  readonly profile: RelayProfile;
  readonly expected: Readonly<Record<string, FieldProblem>>;
}

/** What is configured when each tunnel case is checked. */
export const CONFIGURED: readonly TunnelConfig[] = [
  {
    id: 't-ssh',
    name: 'SSH box',
    kind: 'ssh',
    localHost: '127.0.0.1',
    localPort: 2222,
    remoteHost: 'box.internal',
    remotePort: 22,
    enabled: false,
  },
];

const base: TunnelDraft = {
  name: 'Database',
  kind: 'other',
  localHost: '127.0.0.1',
  localPort: 15_432,
  remoteHost: 'db.corp.example',
  remotePort: 5432,
  enabled: false,
};

const required: FieldProblem = { key: 'validation.required' };
const host: FieldProblem = { key: 'validation.host' };
const port: FieldProblem = { key: 'validation.port' };
const taken: FieldProblem = { key: 'validation.duplicatePort', params: { name: 'SSH box' } };

export const TUNNEL_CASES: readonly TunnelCase[] = [
  { name: 'a complete draft', draft: base, expected: {} },
  { name: 'an empty name', draft: { ...base, name: '   ' }, expected: { name: required } },
  { name: 'a name of 64 characters', draft: { ...base, name: 'n'.repeat(64) }, expected: {} },
  {
    name: 'a name of 65 characters',
    draft: { ...base, name: 'n'.repeat(65) },
    expected: { name: { key: 'validation.nameLength', params: { max: 64 } } },
  },
  {
    name: 'an empty local address',
    draft: { ...base, localHost: '' },
    expected: { localHost: required },
  },
  {
    name: 'a local address with a space',
    draft: { ...base, localHost: 'bad host' },
    expected: { localHost: host },
  },
  {
    name: 'a remote host with an empty label',
    draft: { ...base, remoteHost: 'a..b' },
    expected: { remoteHost: host },
  },
  {
    name: 'an IPv6 remote host with a zone',
    draft: { ...base, remoteHost: 'fe80::1%eth0' },
    expected: {},
  },
  {
    name: 'an all-numeric name that is no IPv4',
    draft: { ...base, remoteHost: '999.1.1.1' },
    expected: { remoteHost: host },
  },
  { name: 'local port 0', draft: { ...base, localPort: 0 }, expected: { localPort: port } },
  {
    name: 'remote port 65536',
    draft: { ...base, remotePort: 65_536 },
    expected: { remotePort: port },
  },
  {
    name: 'a local port another tunnel uses on the same address',
    draft: { ...base, localPort: 2222 },
    expected: { localPort: taken },
  },
  {
    name: 'that port on all addresses',
    draft: { ...base, localHost: '0.0.0.0', localPort: 2222 },
    expected: { localPort: taken },
  },
  {
    name: 'that port on another loopback address',
    draft: { ...base, localHost: '127.0.0.2', localPort: 2222 },
    expected: {},
  },
  {
    name: 'the tunnel itself, edited',
    draft: { ...base, id: 't-ssh', localPort: 2222 },
    expected: {},
  },
  {
    name: 'a tunnel removed meanwhile',
    draft: { ...base, id: 't-gone' },
    expected: { id: { key: 'validation.tunnelGone' } },
  },
  {
    name: 'several problems at once',
    draft: { ...base, name: '', localPort: 70_000, remoteHost: 'bad host!' },
    expected: { name: required, localPort: port, remoteHost: host },
  },
];

const relay: RelayProfile = {
  id: 'default',
  name: 'relay.example.org',
  host: 'relay.example.org',
  port: 8443,
  caFile: null,
  pinSha256: null,
  serverName: null,
  insecure: false,
  opener: 'auto',
  builtin: false,
};

export const RELAY_CASES: readonly RelayCase[] = [
  { name: 'a complete profile', profile: relay, expected: {} },
  { name: 'an empty host', profile: { ...relay, host: '' }, expected: { host: required } },
  { name: 'an IPv6 host', profile: { ...relay, host: '::1' }, expected: {} },
  { name: 'a host with a space', profile: { ...relay, host: 'no such host' }, expected: { host } },
  { name: 'port 0', profile: { ...relay, port: 0 }, expected: { port } },
  {
    name: 'a short pin',
    profile: { ...relay, pinSha256: 'short' },
    expected: { pinSha256: { key: 'validation.pin' } },
  },
  {
    name: 'a pin of 44 base64 characters',
    profile: { ...relay, pinSha256: `${'A'.repeat(43)}=` },
    expected: {},
  },
  {
    name: 'a bad server name',
    profile: { ...relay, serverName: 'bad name' },
    expected: { serverName: host },
  },
];
