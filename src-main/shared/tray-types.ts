// The tray's view model: what the tray shows and which action each item triggers. Produced
// by services/tray-model.ts (pure), rendered by electron/tray.ts. Runs anywhere.

export type TrayIconState = 'disconnected' | 'connecting' | 'active' | 'error';

export type TrayAction =
  | { readonly type: 'connect' }
  | { readonly type: 'disconnect' }
  | { readonly type: 'retryNow' }
  | { readonly type: 'toggleTunnel'; readonly tunnelId: string; readonly enabled: boolean }
  | { readonly type: 'openWindow' }
  | { readonly type: 'viewLogs' }
  | { readonly type: 'quit' };

export type TrayMenuItem =
  | { readonly kind: 'label'; readonly label: string }
  | { readonly kind: 'separator' }
  | {
      readonly kind: 'action';
      readonly label: string;
      readonly action: TrayAction;
      readonly enabled: boolean;
    }
  | {
      readonly kind: 'checkbox';
      readonly label: string;
      readonly checked: boolean;
      readonly action: TrayAction;
      readonly enabled: boolean;
    };

export interface TrayModel {
  readonly icon: TrayIconState;
  readonly tooltip: string;
  readonly items: readonly TrayMenuItem[];
}
