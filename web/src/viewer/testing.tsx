// Test helpers: the providers the pages need, around a router at a given URL. The api and auth
// modules are mocked by each test file (vi.mock), never the component under test.

import type { ReactElement } from 'react';
import { render } from '@testing-library/react';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { MemoryRouter, Route, Routes, useLocation } from 'react-router';
import type { User } from 'oidc-client-ts';
import { ApiError } from '../shared/problem';
import { SessionProvider } from './session';

export function renderAt(url: string, path: string, element: ReactElement) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false }, mutations: { retry: false } } });
  let location = '';
  function Where() {
    const l = useLocation();
    location = l.pathname + l.search;
    return null;
  }
  const result = render(
    <QueryClientProvider client={client}>
      <SessionProvider>
        <MemoryRouter initialEntries={[url]}>
          <Where />
          <Routes>
            <Route path={path} element={element} />
            <Route path="*" element={<p>elsewhere</p>} />
          </Routes>
        </MemoryRouter>
      </SessionProvider>
    </QueryClientProvider>,
  );
  return { ...result, client, location: () => location };
}

/** A signed-in user as oidc-client-ts keeps one (only what the app reads). */
export function fakeUser(name = 'Ana'): User {
  return { profile: { sub: 'user-1', name, email: 'ana@example.com' }, expired: false, access_token: 'token' } as unknown as User;
}

export function apiError(status: number, detail: string, errors: { field: string; rule: string }[] = []): ApiError {
  return new ApiError({ type: 'about:blank', title: 'Error', status, detail, errors });
}
