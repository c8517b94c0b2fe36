// The viewer's token goes with stream requests to the query API only. A manifest may point
// anywhere (a CDN, another host, a crafted absolute URL): the player must not hand the bearer
// token to whatever host it names.

import { queryUrl } from '../shared/api';
import { accessToken } from '../shared/auth';

/** What the filter reads and writes of a shaka request (shaka.extern.Request). */
export interface StreamRequest {
  uris: string[];
  headers: Record<string, string>;
}

/** Whether `url`, resolved against `page`, is on the API whose base is `base` (a path such as
 *  `/api/query` or a URL): the same origin, and a path at or under the base path. */
export function isUnder(url: string, base: string, page: string): boolean {
  let target: URL;
  let root: URL;
  try {
    root = new URL(base, page);
    target = new URL(url, page);
  } catch {
    return false;
  }
  if (target.origin === 'null' || target.origin !== root.origin) return false;
  const path = root.pathname.replace(/\/+$/, '');
  // At the base or under it, on a segment boundary: `/api/query` is not `/api/queryx`.
  return target.pathname === path || target.pathname.startsWith(`${path}/`);
}

/** A shaka request filter: `Authorization: Bearer <token>` on requests to the query API only
 *  (every URI of the request, as shaka may fall back from one to the next). */
export function streamRequestFilter({
  base = () => queryUrl(''),
  token = accessToken,
  page = () => window.location.href,
}: {
  base?: () => Promise<string>;
  token?: () => Promise<string | undefined>;
  page?: () => string;
} = {}) {
  return async (_type: unknown, request: StreamRequest): Promise<void> => {
    const root = await base();
    const here = page();
    if (request.uris.length === 0 || !request.uris.every((uri) => isUnder(uri, root, here))) return;
    const bearer = await token();
    if (bearer) request.headers['Authorization'] = `Bearer ${bearer}`;
  };
}
