// Who is signed in, for every page: read once from the identity client's storage, then kept up to
// date as tokens are loaded, renewed or dropped.

import { createContext, useContext, useEffect, useState, type ReactNode } from 'react';
import type { User } from 'oidc-client-ts';
import { currentUser, onUserChange } from '../shared/auth';

export interface Session {
  user: User | null;
  /** Still reading the stored session: do not decide "signed out" yet. */
  loading: boolean;
}

const SessionContext = createContext<Session>({ user: null, loading: true });

export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session>({ user: null, loading: true });
  useEffect(() => {
    let live = true;
    let stop: (() => void) | undefined;
    currentUser().then(
      (user) => live && setSession({ user, loading: false }),
      () => live && setSession({ user: null, loading: false }),
    );
    onUserChange((user) => live && setSession({ user: user && !user.expired ? user : null, loading: false })).then(
      (unsubscribe) => (live ? (stop = unsubscribe) : unsubscribe()),
      () => undefined,
    );
    return () => {
      live = false;
      stop?.();
    };
  }, []);
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  return useContext(SessionContext);
}

/** The name to greet a user by. */
export function displayName(user: User): string {
  const profile = user.profile;
  return profile.name || profile.preferred_username || profile.email || 'Your account';
}
