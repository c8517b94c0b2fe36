// What the page learns from the origin that serves it (`/config.json`, written by `codeflix`'s
// gateway from its settings): the identity provider and where the two APIs are. The same built
// files therefore run against the development issuer or Keycloak, behind `codeflix up` or nginx.

export interface AppConfig {
  /** The OpenID Connect issuer (`…/realms/codeflix`). */
  issuer: string;
  /** The public client the apps sign in as (PKCE). */
  client_id: string;
  /** Base path (or URL) of the command API, e.g. `/api/command`. */
  command_api: string;
  /** Base path (or URL) of the query API, e.g. `/api/query`. */
  query_api: string;
  /** The deployment's theme (theme.ts). */
  theme?: Theme;
}

import type { Theme } from './theme';

let loaded: Promise<AppConfig> | undefined;

/** The configuration, fetched once per page. A failed fetch is not kept: the next call asks
 *  again (a gateway restarting, a network blip), instead of failing for the life of the page. */
export function loadConfig(): Promise<AppConfig> {
  if (loaded) return loaded;
  const attempt = fetch('/config.json', { headers: { accept: 'application/json' } }).then(async (response) => {
    if (!response.ok) {
      throw new Error(`/config.json answered ${response.status}: is this page served by codeflix?`);
    }
    return (await response.json()) as AppConfig;
  });
  loaded = attempt;
  attempt.catch(() => {
    if (loaded === attempt) loaded = undefined;
  });
  return attempt;
}

/** For tests: use this configuration instead of fetching one. */
export function setConfig(config: AppConfig): void {
  loaded = Promise.resolve(config);
}
