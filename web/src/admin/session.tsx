// The signed-in user as the console sees it: loading, signed out, or signed in with the roles of
// the current access token (re-read on every renewal, so a role change shows at the next refresh).

import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import type { User } from 'oidc-client-ts';
import { currentUser, onUserChange, rolesOf } from '../shared/auth';

export type Session =
  | { status: 'loading' }
  | { status: 'signed-out' }
  | { status: 'failed'; error: unknown }
  | { status: 'signed-in'; user: User; name: string; roles: string[] };

/** Exported for tests, which render pages as a given user. */
export const SessionContext = createContext<Session>({ status: 'loading' });

function sessionOf(user: User | null): Session {
  if (!user) return { status: 'signed-out' };
  const profile = user.profile;
  const name = profile.name ?? profile.email ?? profile.preferred_username ?? profile.sub;
  return { status: 'signed-in', user, name, roles: rolesOf(user.access_token) };
}

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session>({ status: 'loading' });
  useEffect(() => {
    let live = true;
    let unsubscribe: (() => void) | undefined;
    currentUser().then(
      (user) => live && setSession(sessionOf(user)),
      (error: unknown) => live && setSession({ status: 'failed', error }),
    );
    onUserChange((user) => live && setSession(sessionOf(user))).then(
      (stop) => (live ? (unsubscribe = stop) : stop()),
      () => undefined, // the failure already shows through currentUser()
    );
    return () => {
      live = false;
      unsubscribe?.();
    };
  }, []);
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  return useContext(SessionContext);
}

/** The roles of the signed-in user (none while signed out). */
export function useRoles(): string[] {
  const session = useSession();
  return session.status === 'signed-in' ? session.roles : [];
}
