// The tray's view model: what the tray shows and which action each item triggers. Produced
// by services/tray-model.ts (pure), rendered by electron/tray.ts and, in tests, by
// test/harness/tray-page.ts. Runs anywhere.

import type { WindowView } from './ipc-contract';
import type { ShareDraft } from './share-model';

export type TrayIconState = 'disconnected' | 'connecting' | 'active' | 'error';

export type TrayAction =
  | { readonly type: 'connect' }
  | { readonly type: 'disconnect' }
  | { readonly type: 'retryNow' }
  | { readonly type: 'toggleTunnel'; readonly tunnelId: string; readonly enabled: boolean }
  /** A failed tunnel tries its listener and registration again, settings unchanged. */
  | { readonly type: 'retryTunnel'; readonly tunnelId: string }
  | { readonly type: 'turnAllTunnelsOff' }
  | { readonly type: 'openTunnel'; readonly tunnelId: string }
  /** Shares this computer again as it was last set up (services/tray-share-row.ts). */
  | { readonly type: 'startShare'; readonly draft: ShareDraft }
  | { readonly type: 'stopShare' }
  /** Done by the Electron layer itself (the clipboard); the model says what to copy. */
  | { readonly type: 'copyText'; readonly text: string }
  | { readonly type: 'openWindow' }
  /** Reveals the window on `view`, with `tunnelId` selected on the Tunnels view. */
  | { readonly type: 'showView'; readonly view: WindowView; readonly tunnelId: string | null }
  | { readonly type: 'viewLogs' }
  | { readonly type: 'quit' };

export type TrayMenuItem =
  /** A line to read (a state, an error in words): shown greyed, does nothing. */
  | { readonly kind: 'label'; readonly label: string }
  | { readonly kind: 'separator' }
  | { readonly kind: 'action'; readonly label: string; readonly action: TrayAction }
  /**
   * An entry that cannot be used now. Its label already says why (menus on Windows and
   * Linux have no sublabel or tooltip), and `reason` is that why on its own.
   */
  | { readonly kind: 'disabled'; readonly label: string; readonly reason: string }
  | { readonly kind: 'submenu'; readonly label: string; readonly items: readonly TrayMenuItem[] };

export interface TrayModel {
  readonly icon: TrayIconState;
  /** Hover text; carries the live reconnect countdown (it may change while the menu is open). */
  readonly tooltip: string;
  /** Text beside the icon in the macOS menu bar ('' for none): the countdown while reconnecting. */
  readonly title: string;
  readonly items: readonly TrayMenuItem[];
}
