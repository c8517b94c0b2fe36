// The admin console, served under /admin.

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { QueryClientProvider } from '@tanstack/react-query';
import { BrowserRouter } from 'react-router';
import '../shared/theme.css';
import './admin.css';
import { App } from './App';
import { createQueryClient } from './queryClient';
import { loadConfig } from '../shared/config';
import { applyTheme } from '../shared/theme';

// The deployment's colours and font, when it sets them (an unreachable /config.json is reported by
// the pages that need it).
loadConfig().then((config) => applyTheme(config.theme), () => undefined);

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');

createRoot(root).render(
  <StrictMode>
    <QueryClientProvider client={createQueryClient()}>
      <BrowserRouter basename="/admin">
        <App />
      </BrowserRouter>
    </QueryClientProvider>
  </StrictMode>,
);
