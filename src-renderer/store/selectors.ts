// Named selectors over AppState. Each returns a value already held in the store (or a
// primitive), so React's useStore sees stable references and does not re-render needlessly.
import type {
  AccountInfo,
  AppInfo,
  AppSnapshot,
  AppSettings,
  Notice,
  TunnelTotals,
} from '../../src-main/shared/ipc-contract';
import type { ShareSettings } from '../../src-main/shared/share-model';
import type {
  ConnectionState,
  EngineSnapshot,
  ErrorInfo,
  LogRecord,
  SessionInfo,
  TunnelSnapshot,
} from '../../src-main/shared/model';
import { NO_INVITE, type InviteState } from '../../src-main/shared/invite-view';
import type { AppState, LoadState } from './app-store';
import type { TrafficHistory } from './traffic-history';

const NO_TUNNELS: readonly TunnelSnapshot[] = [];
const NO_TOTALS: Readonly<Record<string, TunnelTotals>> = {};

export const selectLoad = (s: AppState): LoadState => s.load;
/** The whole snapshot, for views that fold several parts of it (Status's checklist). */
export const selectSnapshot = (s: AppState): AppSnapshot | null => s.snapshot;
export const selectLoadError = (s: AppState): ErrorInfo | null => s.loadError;
export const selectConnectionState = (s: AppState): ConnectionState =>
  s.snapshot?.engine.state ?? 'disconnected';
export const selectSession = (s: AppState): SessionInfo | null =>
  s.snapshot?.engine.session ?? null;
export const selectLastError = (s: AppState): ErrorInfo | null =>
  s.snapshot?.engine.lastError ?? null;
export const selectTunnels = (s: AppState): readonly TunnelSnapshot[] =>
  s.snapshot?.engine.tunnels ?? NO_TUNNELS;
/** The engine's whole view, for what folds several parts of it (the share's status). */
export const selectEngine = (s: AppState): EngineSnapshot | null => s.snapshot?.engine ?? null;
/** This computer's share as set up (shared/share-model.ts); undefined before it was. */
export const selectShare = (s: AppState): ShareSettings | undefined => s.snapshot?.settings.share;
export const selectTotals = (s: AppState): Readonly<Record<string, TunnelTotals>> =>
  s.snapshot?.totals ?? NO_TOTALS;
/** Each tunnel's last minute of rates and when its counters last moved. */
export const selectHistory = (s: AppState): TrafficHistory => s.history;
export const selectAccount = (s: AppState): AccountInfo | null => s.snapshot?.account ?? null;
export const selectSettings = (s: AppState): AppSettings | null => s.snapshot?.settings ?? null;
export const selectLanguage = (s: AppState): AppSettings['language'] =>
  s.snapshot?.settings.language ?? 'system';
export const selectLogs = (s: AppState): readonly LogRecord[] => s.logs;
/** Records logged while the window was hidden that main did not send (too many to catch up). */
export const selectLogsOmitted = (s: AppState): number => s.logsOmitted;
export const selectInfo = (s: AppState): AppInfo | null => s.info;
const NO_NOTICES: readonly Notice[] = [];
export const selectNotices = (s: AppState): readonly Notice[] => s.snapshot?.notices ?? NO_NOTICES;
/** A connection link waiting for an answer, or why the last one was refused. */
export const selectInvite = (s: AppState): InviteState => s.snapshot?.invite ?? NO_INVITE;
/** First run lasts until a relay is configured (the first_run notice may outlive that). */
export const selectIsFirstRun = (s: AppState): boolean =>
  s.snapshot !== null && s.snapshot.settings.relay === null;
export const selectIsInsecure = (s: AppState): boolean =>
  (s.snapshot?.engine.session.insecure ?? false) || (s.snapshot?.settings.relay?.insecure ?? false);
