// The viewer app: browse, search and watch videos; plans, subscribing and the account.

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import '../shared/theme.css';
import './viewer.css';
import { isApiError } from '../shared/FieldErrors';
import { App } from './App';
import { SessionProvider } from './session';
import { loadConfig } from '../shared/config';
import { applyTheme } from '../shared/theme';

// The deployment's colours and font, when it sets them (an unreachable /config.json is reported by
// the pages that need it).
loadConfig().then((config) => applyTheme(config.theme), () => undefined);

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 30_000,
      refetchOnWindowFocus: false,
      // A 4xx answer will not change by asking again; a network error or 503 may.
      retry: (failures, error) => failures < 2 && !(isApiError(error) && error.status >= 400 && error.status < 500),
    },
  },
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <SessionProvider>
        <BrowserRouter>
          <App />
        </BrowserRouter>
      </SessionProvider>
    </QueryClientProvider>
  </StrictMode>,
);
