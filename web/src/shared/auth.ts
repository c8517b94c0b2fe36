// Sign-in through the identity provider: authorization code with PKCE (oidc-client-ts), tokens
// kept in sessionStorage (gone with the tab), renewed with the refresh token before they expire.
// Both apps use it; each has its own callback path under its base (`/callback`,
// `/admin/callback`).

import { UserManager, WebStorageStateStore, type User } from 'oidc-client-ts';
import { loadConfig } from './config';

let signInManager: Promise<UserManager> | undefined;
let registerManager: Promise<UserManager> | undefined;

function base(): string {
  return window.location.pathname.startsWith('/admin') ? '/admin/' : '/';
}

function settings(authority: string, clientId: string) {
  const origin = window.location.origin;
  return {
    authority,
    client_id: clientId,
    redirect_uri: `${origin}${base()}callback`,
    post_logout_redirect_uri: `${origin}${base()}`,
    response_type: 'code',
    scope: 'openid profile email',
    automaticSilentRenew: true,
    userStore: new WebStorageStateStore({ store: window.sessionStorage }),
  };
}

/** Returns `attempt`, which the caller has cached; once it rejects, `clear` drops it from the
 *  cache (if it is still the one there), so that the next call tries again instead of failing
 *  for the life of the page. */
function forget<T>(attempt: Promise<T>, stillCached: () => boolean, clear: () => void): Promise<T> {
  attempt.catch(() => {
    if (stillCached()) clear();
  });
  return attempt;
}

/** The manager that signs in and keeps the user: the configuration only, no request, so that
 *  pages read the stored user (and send the API their token) without waiting for the provider. */
function signInManagerOf(): Promise<UserManager> {
  if (signInManager) return signInManager;
  const attempt = loadConfig().then((config) => new UserManager(settings(config.issuer, config.client_id)));
  signInManager = attempt;
  return forget(attempt, () => signInManager === attempt, () => (signInManager = undefined));
}

/** Sign-up is the provider's registration page (Keycloak's `registrations` endpoint): the same
 *  request as a sign-in, to another page; the callback is the same. */
function registerManagerOf(): Promise<UserManager> {
  if (registerManager) return registerManager;
  const attempt = Promise.all([loadConfig(), signInManagerOf()]).then(async ([config, signIn]) => {
    const metadata = await signIn.metadataService.getMetadata();
    return new UserManager({
      ...settings(config.issuer, config.client_id),
      metadata: {
        ...metadata,
        authorization_endpoint: `${config.issuer}/protocol/openid-connect/registrations`,
      },
    });
  });
  registerManager = attempt;
  return forget(attempt, () => registerManager === attempt, () => (registerManager = undefined));
}

/** The signed-in user, if any (and not expired). */
export async function currentUser(): Promise<User | null> {
  const signIn = await signInManagerOf();
  const user = await signIn.getUser();
  return user && !user.expired ? user : null;
}

/** Go to the provider's sign-in page; come back to `returnTo`. */
export async function signIn(returnTo: string = window.location.pathname + window.location.search): Promise<void> {
  const signIn = await signInManagerOf();
  await signIn.signinRedirect({ state: { returnTo } });
}

/** Go to the provider's registration page; come back signed in to `returnTo`. */
export async function signUp(returnTo: string = window.location.pathname + window.location.search): Promise<void> {
  const register = await registerManagerOf();
  await register.signinRedirect({ state: { returnTo } });
}

/** Finish a sign-in on the callback page; returns where to go next. */
export async function completeSignIn(): Promise<string> {
  const signIn = await signInManagerOf();
  const user = await signIn.signinRedirectCallback();
  const state = user.state as { returnTo?: string } | undefined;
  const returnTo = state?.returnTo;
  return isLocalPath(returnTo) ? returnTo : base();
}

/** Only paths of this origin: never an open redirect. `//host` names another host, and so does
 *  `/\host` (browsers read a backslash in a URL as a slash); resolving the path against this
 *  origin catches the other spellings (tabs and newlines, which URLs drop). */
function isLocalPath(path: unknown): path is string {
  if (typeof path !== 'string' || !path.startsWith('/') || path.startsWith('//') || path.startsWith('/\\')) return false;
  try {
    return new URL(path, window.location.origin).origin === window.location.origin;
  } catch {
    return false;
  }
}

/** End the session at the provider and here. */
export async function signOut(): Promise<void> {
  const signIn = await signInManagerOf();
  const user = await signIn.getUser();
  await signIn.removeUser();
  if (user?.id_token) {
    await signIn.signoutRedirect({ id_token_hint: user.id_token });
  } else {
    window.location.assign(base());
  }
}

/** The access token for API calls, if signed in. */
export async function accessToken(): Promise<string | undefined> {
  const user = await currentUser();
  return user?.access_token;
}

/** Subscribe to sign-in and sign-out (including renewals). */
export async function onUserChange(listener: (user: User | null) => void): Promise<() => void> {
  const signIn = await signInManagerOf();
  const loaded = (user: User) => listener(user);
  const unloaded = () => listener(null);
  signIn.events.addUserLoaded(loaded);
  signIn.events.addUserUnloaded(unloaded);
  signIn.events.addAccessTokenExpired(unloaded);
  return () => {
    signIn.events.removeUserLoaded(loaded);
    signIn.events.removeUserUnloaded(unloaded);
    signIn.events.removeAccessTokenExpired(unloaded);
  };
}

/** The realm roles in an access token (`realm_access.roles`), read without verifying it: for
 *  deciding what to show only; the APIs check every request. */
export function rolesOf(accessToken: string | undefined): string[] {
  if (!accessToken) return [];
  try {
    const payload = accessToken.split('.')[1] ?? '';
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const claims = JSON.parse(json) as { realm_access?: { roles?: string[] } };
    return claims.realm_access?.roles ?? [];
  } catch {
    return [];
  }
}
