// Rendering console components the way the app does: with a query client and a router.

import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { MemoryRouter, Route, Routes } from 'react-router';
import type { User } from 'oidc-client-ts';
import type { AdminVideo } from '../shared/types';
import { SessionContext } from './session';

/** Renders `ui` at `route` (matched against `path` when given); signed in with `roles` when
 *  given, else as the app starts (the session loading). */
export function renderWithProviders(
  ui: ReactElement,
  { route = '/', path, roles }: { route?: string; path?: string; roles?: string[] } = {},
) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const page = (
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={[route]}>
        {path ? (
          <Routes>
            <Route path={path} element={ui} />
          </Routes>
        ) : (
          ui
        )}
      </MemoryRouter>
    </QueryClientProvider>
  );
  if (!roles) return render(page);
  const session = { status: 'signed-in' as const, user: {} as User, name: 'Ana Souza', roles };
  return render(<SessionContext.Provider value={session}>{page}</SessionContext.Provider>);
}

/** A JWT-shaped token whose payload carries these realm roles (unsigned: the console only reads it). */
export function tokenWithRoles(roles: string[]): string {
  const payload = btoa(JSON.stringify({ sub: 'subject-1', realm_access: { roles } }));
  return `e30.${payload}.signature`;
}

export function adminVideo(overrides: Partial<AdminVideo> = {}): AdminVideo {
  return {
    id: '7d3f0a52-0000-4000-8000-000000000001',
    title: 'Central Station',
    description: 'A retired teacher and a boy cross Brazil.',
    launch_year: 1998,
    duration_minutes: 110,
    rating: '12',
    opened: false,
    categories: [{ id: 'cat-1', name: 'Feature films' }],
    genres: [],
    cast_members: [],
    media: [],
    playable: false,
    streams: [],
    version: 3,
    updated_at: '2025-01-02T10:00:00Z',
    published: false,
    created_at: '2025-01-01T10:00:00Z',
    media_details: [],
    history: [],
    ...overrides,
  };
}
