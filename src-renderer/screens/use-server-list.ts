// The tenant's published servers for Add tunnel's picker (components/server-picker.tsx), asked
// through a callback while the picker is shown and again on Refresh. An answer that comes
// after the picker moved on is dropped. Never talks to the bridge itself.
import { useEffect, useState } from 'react';
import type { Result } from '../../src-main/shared/ipc-contract';
import type { PublishedServerInfo } from '../../src-main/shared/share-model';
import type { ServerList } from '../components/server-picker';

export type ListServers = () => Promise<Result<readonly PublishedServerInfo[]>>;

export function useServerList(
  listServers: ListServers | undefined,
  isShown: boolean,
): [ServerList, () => void] {
  const [list, setList] = useState<ServerList>({ state: 'loading' });
  // Refresh asks again by moving this on.
  const [round, setRound] = useState(0);
  useEffect(() => {
    if (!isShown || !listServers) return undefined;
    let isCurrent = true;
    listServers().then(
      (result) => {
        if (!isCurrent) return;
        if (result.ok) setList({ state: 'ready', servers: result.value });
        // main says connection_lost while there is no session to ask (services/share-session.ts).
        else
          setList({ state: result.error.code === 'connection_lost' ? 'notConnected' : 'failed' });
      },
      () => {
        if (isCurrent) setList({ state: 'failed' });
      },
    );
    return () => {
      isCurrent = false;
    };
  }, [isShown, listServers, round]);
  const refresh = () => {
    setList({ state: 'loading' });
    setRound((n) => n + 1);
  };
  return [listServers ? list : { state: 'notConnected' }, refresh];
}
