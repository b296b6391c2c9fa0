// Renderer entry: builds the store, connects it to the preload's bridge (if any) and mounts
// the app. The only place that touches document and the real bridge together.
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app';
import { AppProvider } from './app-context';
import { getBridge } from './bridge';
import { connectStore, createAppStore } from './store/app-store';
import './styles.css';

const bridge = getBridge();
const store = createAppStore();
connectStore(store, bridge);

const container = document.getElementById('root');
if (container) {
  createRoot(container).render(
    <StrictMode>
      <AppProvider store={store} bridge={bridge}>
        <App />
      </AppProvider>
    </StrictMode>,
  );
}
