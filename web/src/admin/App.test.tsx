import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { User } from 'oidc-client-ts';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { currentUser, signIn, signOut } from '../shared/auth';
import { App } from './App';
import { renderWithProviders, tokenWithRoles } from './test-utils';

vi.mock('../shared/auth', async (importOriginal) => ({
  ...(await importOriginal<typeof import('../shared/auth')>()),
  currentUser: vi.fn(),
  onUserChange: vi.fn(async () => () => undefined),
  signIn: vi.fn(async () => undefined),
  signOut: vi.fn(async () => undefined),
}));

vi.mock('../shared/api', () => {
  const empty = vi.fn(async () => ({ items: [], next_cursor: null }));
  return {
    reads: {
      categories: empty,
      genres: empty,
      castMembers: empty,
      plans: empty,
      admin: { videos: empty, plans: empty, subscriptions: empty, notifications: empty, accounts: empty },
    },
    writes: {},
    operations: { consumers: vi.fn(async () => ({ items: [] })) },
  };
});

function signedInAs(roles: string[]) {
  vi.mocked(currentUser).mockResolvedValue({
    access_token: tokenWithRoles(roles),
    expired: false,
    profile: { sub: 'subject-1', name: 'Ana Souza', email: 'ana@example.com' },
  } as unknown as User);
}

async function navLinks(): Promise<string[]> {
  const nav = await screen.findByRole('navigation', { name: 'Console' });
  return within(nav)
    .getAllByRole('link')
    .map((link) => link.textContent ?? '');
}

describe('the console’s gate and navigation', () => {
  beforeEach(() => {
    vi.mocked(signIn).mockClear();
    vi.mocked(signOut).mockClear();
  });

  it('asks to sign in until signed in', async () => {
    vi.mocked(currentUser).mockResolvedValue(null);
    const user = userEvent.setup();
    renderWithProviders(<App />);
    await user.click(await screen.findByRole('button', { name: 'Sign in' }));
    expect(signIn).toHaveBeenCalledTimes(1);
    expect(screen.queryByRole('navigation')).toBeNull();
  });

  it('shows a catalog admin every area (the APIs let catalog-admin do everything)', async () => {
    signedInAs(['catalog-admin']);
    renderWithProviders(<App />);
    expect(await navLinks()).toEqual([
      'Dashboard', 'Videos', 'Categories', 'Genres', 'Cast members', 'Plans', 'Subscriptions', 'Accounts', 'Notifications',
      'Dead letters',
    ]);
    expect(await screen.findByRole('heading', { level: 1, name: 'Dashboard' })).toBeTruthy();
  });

  it('shows a billing-plans admin only plans', async () => {
    signedInAs(['billing-plans', 'viewer']);
    renderWithProviders(<App />);
    expect(await navLinks()).toEqual(['Dashboard', 'Plans']);
  });

  it('shows a videos editor only videos, and refuses other pages by URL', async () => {
    signedInAs(['catalog-videos']);
    renderWithProviders(<App />, { route: '/plans' });
    expect(await navLinks()).toEqual(['Dashboard', 'Videos']);
    expect(await screen.findByRole('heading', { level: 1, name: 'Not allowed' })).toBeTruthy();
  });

  it('shows an accounts admin accounts and the notification log', async () => {
    signedInAs(['accounts-admin']);
    renderWithProviders(<App />);
    expect(await navLinks()).toEqual(['Dashboard', 'Accounts', 'Notifications']);
  });

  it('shows operations only the dead letters', async () => {
    signedInAs(['operations']);
    renderWithProviders(<App />);
    expect(await navLinks()).toEqual(['Dashboard', 'Dead letters']);
    expect(await screen.findByRole('heading', { level: 2, name: 'Dead letters' })).toBeTruthy();
  });

  it('tells a signed-in user without an admin role so, with a way to sign out', async () => {
    signedInAs(['viewer']);
    const user = userEvent.setup();
    renderWithProviders(<App />);
    expect(await screen.findByRole('heading', { name: 'Your account has no admin role' })).toBeTruthy();
    expect(screen.queryByRole('navigation')).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Sign out' }));
    expect(signOut).toHaveBeenCalledTimes(1);
  });

  it('signs out from the header', async () => {
    signedInAs(['billing-subscriptions']);
    const user = userEvent.setup();
    renderWithProviders(<App />);
    const header = await screen.findByRole('banner');
    expect(within(header).getByText('Ana Souza')).toBeTruthy();
    await user.click(within(header).getByRole('button', { name: 'Sign out' }));
    expect(signOut).toHaveBeenCalledTimes(1);
  });
});
