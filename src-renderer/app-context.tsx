// React wiring: hands the store, the bridge, the clock and the active language to the tree.
// Screens read state only through named selectors (store/selectors.ts) via useAppState.
import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useStore } from 'zustand';
import type { BridgeApi } from '../src-main/shared/ipc-contract';
import { makeTranslate, resolveLocale, type Locale, type Translate } from './i18n/i18n';
import type { AppActions, AppState, AppStore } from './store/app-store';
import { selectLanguage } from './store/selectors';

export type Clock = () => number;

interface AppContextValue {
  readonly store: AppStore;
  readonly bridge: BridgeApi | null;
  readonly clock: Clock;
  readonly systemLanguage: string;
}

const AppContext = createContext<AppContextValue | null>(null);

export interface AppProviderProps {
  readonly store: AppStore;
  readonly bridge: BridgeApi | null;
  /** Injected so tests control the time; defaults to Date.now. */
  readonly clock?: Clock;
  /** Defaults to navigator.language. */
  readonly systemLanguage?: string;
  readonly children: ReactNode;
}

export function AppProvider({ store, bridge, clock, systemLanguage, children }: AppProviderProps) {
  const value = useMemo<AppContextValue>(
    () => ({
      store,
      bridge,
      clock: clock ?? (() => Date.now()),
      systemLanguage:
        systemLanguage ?? (typeof navigator === 'undefined' ? 'en' : navigator.language),
    }),
    [store, bridge, clock, systemLanguage],
  );
  return <AppContext.Provider value={value}>{children}</AppContext.Provider>;
}

function useAppContext(): AppContextValue {
  const value = useContext(AppContext);
  if (!value) throw new Error('AppProvider is missing');
  return value;
}

export function useAppState<T>(selector: (state: AppState) => T): T {
  return useStore(useAppContext().store, selector);
}

/** The store's actions, for folding a reply (e.g. saved settings) in without waiting for a push. */
export function useStoreActions(): AppActions {
  return useAppContext().store.getState();
}

/** The bridge, or null when the window has none (screens then disable their actions). */
export function useBridge(): BridgeApi | null {
  return useAppContext().bridge;
}

export function useClock(): Clock {
  return useAppContext().clock;
}

export interface I18n {
  readonly t: Translate;
  readonly locale: Locale;
}

export function useI18n(): I18n {
  const { systemLanguage } = useAppContext();
  const setting = useAppState(selectLanguage);
  const locale = resolveLocale(setting, systemLanguage);
  return useMemo(() => ({ locale, t: makeTranslate(locale) }), [locale]);
}

/** The current time, refreshed every `intervalMs` while `isActive`; drives countdowns. */
export function useNow(intervalMs: number, isActive = true): number {
  const clock = useClock();
  const [now, setNow] = useState(clock);
  useEffect(() => {
    if (!isActive) return undefined;
    const tick = () => setNow(clock());
    // Catch up at once after being inactive, then keep ticking.
    const first = setTimeout(tick, 0);
    const timer = setInterval(tick, intervalMs);
    return () => {
      clearTimeout(first);
      clearInterval(timer);
    };
  }, [clock, intervalMs, isActive]);
  return now;
}
