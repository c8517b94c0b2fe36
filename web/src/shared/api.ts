// Calls to the two APIs through the origin's gateway: the command API (writes, `POST/PUT/DELETE`)
// and the query API (reads). Errors come back as ApiError with the problem details; writes
// carry an Idempotency-Key so that a retried click is applied once; a write's consistency token
// is kept and sent with the next reads, so the page shows what was just written.

import { accessToken } from './auth';
import { loadConfig } from './config';
import { ApiError, problemOf } from './problem';
import type {
  AdminVideo, Account, CastMember, CastMemberKind, Category, ConsumerSummary, DeadLetterPage, Genre, Me,
  NotificationView, Page, Plan, Redriven, SearchPage, Subscribed, Subscription, Video, Written,
} from './types';

type Query = Record<string, string | number | boolean | undefined | null | string[]>;

let consistency: string | undefined;

/** The consistency token of the last write (sent with reads until replaced). */
export function lastConsistencyToken(): string | undefined {
  return consistency;
}

/** Remember the consistency token of a write made outside command() (the tus PATCH that
 *  completes an upload answers one), so the next reads show it. */
export function rememberConsistencyToken(token: string | null | undefined): void {
  if (token) consistency = token;
}

function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) value.forEach((v) => params.append(key, v));
    else params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

async function headers(extra?: HeadersInit): Promise<Headers> {
  const result = new Headers(extra);
  result.set('accept', 'application/json');
  const token = await accessToken();
  if (token) result.set('authorization', `Bearer ${token}`);
  return result;
}

async function send<T>(url: string, init: RequestInit): Promise<{ body: T; response: Response }> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch {
    throw new ApiError({
      type: 'about:blank',
      title: 'Network error',
      status: 0,
      detail: 'Codeflix cannot be reached; check the connection and try again.',
    });
  }
  if (!response.ok) throw await problemOf(response);
  const text = await response.text();
  return { body: (text ? JSON.parse(text) : undefined) as T, response };
}

/** GET from the query API. */
export async function query<T>(path: string, params?: Query): Promise<T> {
  const config = await loadConfig();
  const extra: Record<string, string> = {};
  if (consistency) extra['codeflix-consistency-token'] = consistency;
  const { body } = await send<T>(`${config.query_api}${path}${queryString(params)}`, {
    headers: await headers(extra),
  });
  return body;
}

export interface CommandOptions {
  /** The version the change is based on (`If-Match`); a 409 says someone wrote first. */
  ifMatch?: number;
  /** Reuse a key to make a retry of the same request harmless (default: a new one per call). */
  idempotencyKey?: string;
}

/** GET from the command API: its operations routes read Kafka itself, not a read model, so no
 *  consistency token applies. */
export async function operationsQuery<T>(path: string, params?: Query): Promise<T> {
  const config = await loadConfig();
  const { body } = await send<T>(`${config.command_api}${path}${queryString(params)}`, { headers: await headers() });
  return body;
}

/** POST/PUT/DELETE on the command API. */
export async function command<T = Written>(
  method: 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
  options: CommandOptions = {},
): Promise<T> {
  const config = await loadConfig();
  const extra: Record<string, string> = {
    'idempotency-key': options.idempotencyKey ?? crypto.randomUUID(),
  };
  if (body !== undefined) extra['content-type'] = 'application/json';
  if (options.ifMatch !== undefined) extra['if-match'] = `"${options.ifMatch}"`;
  const { body: written } = await send<T>(`${config.command_api}${path}`, {
    method,
    headers: await headers(extra),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const token = (written as { consistency_token?: string | null } | undefined)?.consistency_token;
  if (token) consistency = token;
  return written;
}

/** The URL of a file on the query API (streams), for players that fetch it themselves. */
export async function queryUrl(path: string): Promise<string> {
  const config = await loadConfig();
  return `${config.query_api}${path}`;
}

/** The URL of the command API's tus endpoint. */
export async function uploadsUrl(): Promise<string> {
  const config = await loadConfig();
  return `${config.command_api}/uploads`;
}

// ---- reads ----

export interface VideoFilter extends Query {
  category?: string;
  genre?: string;
  cast_member?: string;
  year?: number;
  rating?: string;
  /** Admins only: videos with a file in this state (`ERROR`: failed encodings). */
  media_status?: string;
  /** Admins only: titles starting with this, listed A–Z (`sort` is ignored). */
  q?: string;
  sort?: string;
  cursor?: string;
  limit?: number;
}

/** The admins' catalog lists: by name (`sort`: `name` or `-name`), found by the start of the
 *  name (`q`, A–Z). */
export interface AdminListParams extends Query {
  q?: string;
  sort?: string;
  cursor?: string;
  limit?: number;
}

export const reads = {
  categories: (cursor?: string, limit = 100) => query<Page<Category>>('/categories', { cursor, limit }),
  genres: (cursor?: string, limit = 100) => query<Page<Genre>>('/genres', { cursor, limit }),
  castMembers: (cursor?: string, limit = 100) => query<Page<CastMember>>('/cast-members', { cursor, limit }),
  videos: (filter: VideoFilter = {}) => query<Page<Video>>('/videos', filter),
  video: (id: string) => query<Video>(`/videos/${encodeURIComponent(id)}`),
  search: (params: Query) => query<SearchPage>('/search', params),
  plans: () => query<Page<Plan>>('/plans', { limit: 100 }),
  me: () => query<Me>('/me'),
  mySubscription: () => query<Subscription | null>('/me/subscription'),
  mySubscriptions: () => query<Page<Subscription>>('/me/subscriptions'),
  admin: {
    videos: (filter: VideoFilter = {}) => query<Page<AdminVideo>>('/admin/videos', filter),
    categories: (params: AdminListParams = {}) => query<Page<Category>>('/admin/categories', params),
    genres: (params: AdminListParams = {}) => query<Page<Genre>>('/admin/genres', params),
    castMembers: (params: AdminListParams = {}) => query<Page<CastMember>>('/admin/cast-members', params),
    video: (id: string) => query<AdminVideo>(`/admin/videos/${encodeURIComponent(id)}`),
    plans: (cursor?: string) => query<Page<Plan>>('/admin/plans', { cursor, limit: 100 }),
    subscriptions: (params: Query = {}) => query<Page<Subscription>>('/admin/subscriptions', params),
    subscription: (id: string) => query<Subscription>(`/admin/subscriptions/${encodeURIComponent(id)}`),
    accounts: (params: Query = {}) => query<Page<Account>>('/admin/accounts', params),
    notifications: (params: Query = {}) => query<Page<NotificationView>>('/admin/notifications', params),
  },
};

/** Each consumer's dead letters, and sending them back (the `operations` role). */
export const operations = {
  consumers: () => operationsQuery<{ items: ConsumerSummary[] }>('/admin/dead-letters'),
  deadLetters: (consumer: string, params: Query = {}) =>
    operationsQuery<DeadLetterPage>(`/admin/dead-letters/${encodeURIComponent(consumer)}`, params),
  redrive: (consumer: string) =>
    command<Redriven>('POST', `/admin/dead-letters/${encodeURIComponent(consumer)}/redrive`),
};

// ---- writes ----

export interface CategoryInput {
  name: string;
  description?: string | null;
}

export interface GenreInput {
  name: string;
  categories: string[];
}

export interface CastMemberInput {
  name: string;
  type: CastMemberKind;
}

export interface VideoInput {
  title: string;
  description: string;
  launch_year: number;
  duration: number;
  rating: string;
  opened: boolean;
}

export interface PlanInput {
  name: string;
  description?: string | null;
  amount_minor: number;
  currency: string;
  billing_period: string;
  trial_days?: number | null;
}

const id = encodeURIComponent;

// `version` (If-Match): the lists of categories, genres and cast members carry each item's
// version, and their forms send it, so that a save over someone else's answers 409 (with the
// current version) instead of silently replacing it. It stays optional: plans carry no version,
// and a write without it applies over whatever is there. `options` lets a form keep one
// Idempotency-Key per attempt so that a double click or a retry is applied once.
export const writes = {
  createCategory: (input: CategoryInput, options: CommandOptions = {}) => command('POST', '/categories', input, options),
  updateCategory: (key: string, input: CategoryInput, version?: number, options: CommandOptions = {}) =>
    command('PUT', `/categories/${id(key)}`, input, { ...options, ifMatch: version }),
  setCategoryActive: (key: string, active: boolean, options: CommandOptions = {}) =>
    command('POST', `/categories/${id(key)}/${active ? 'activate' : 'deactivate'}`, undefined, options),
  deleteCategory: (key: string, options: CommandOptions = {}) => command('DELETE', `/categories/${id(key)}`, undefined, options),

  createGenre: (input: GenreInput, options: CommandOptions = {}) => command('POST', '/genres', input, options),
  updateGenre: (key: string, input: GenreInput, version?: number, options: CommandOptions = {}) =>
    command('PUT', `/genres/${id(key)}`, input, { ...options, ifMatch: version }),
  setGenreActive: (key: string, active: boolean, options: CommandOptions = {}) =>
    command('POST', `/genres/${id(key)}/${active ? 'activate' : 'deactivate'}`, undefined, options),
  deleteGenre: (key: string, options: CommandOptions = {}) => command('DELETE', `/genres/${id(key)}`, undefined, options),

  createCastMember: (input: CastMemberInput, options: CommandOptions = {}) => command('POST', '/cast-members', input, options),
  updateCastMember: (key: string, input: CastMemberInput, version?: number, options: CommandOptions = {}) =>
    command('PUT', `/cast-members/${id(key)}`, input, { ...options, ifMatch: version }),
  deleteCastMember: (key: string, options: CommandOptions = {}) => command('DELETE', `/cast-members/${id(key)}`, undefined, options),

  createVideo: (
    input: VideoInput & { categories: string[]; genres: string[]; cast_members: string[] },
    options: CommandOptions = {},
  ) => command('POST', '/videos', input, options),
  updateVideo: (key: string, input: VideoInput, version: number, options: CommandOptions = {}) =>
    command('PUT', `/videos/${id(key)}`, input, { ...options, ifMatch: version }),
  deleteVideo: (key: string, options: CommandOptions = {}) => command('DELETE', `/videos/${id(key)}`, undefined, options),
  linkVideo: (
    key: string,
    what: 'categories' | 'genres' | 'cast-members',
    other: string,
    linked: boolean,
    options: CommandOptions = {},
  ) => command(linked ? 'PUT' : 'DELETE', `/videos/${id(key)}/${what}/${id(other)}`, undefined, options),
  publish: (key: string, published: boolean, options: CommandOptions = {}) =>
    command('POST', `/videos/${id(key)}/${published ? 'publish' : 'unpublish'}`, undefined, options),

  createPlan: (input: PlanInput, options: CommandOptions = {}) => command('POST', '/plans', input, options),
  updatePlan: (key: string, input: PlanInput, version?: number, options: CommandOptions = {}) =>
    command('PUT', `/plans/${id(key)}`, input, { ...options, ifMatch: version }),
  setPlanActive: (key: string, active: boolean, options: CommandOptions = {}) =>
    command('POST', `/plans/${id(key)}/${active ? 'activate' : 'deactivate'}`, undefined, options),

  subscribe: (planId: string, paymentMethod: string, idempotencyKey: string) =>
    command<Subscribed>('POST', '/subscriptions', { plan_id: planId, payment_method: paymentMethod }, { idempotencyKey }),
  cancel: (key: string, options: CommandOptions = {}) => command('POST', `/subscriptions/${id(key)}/cancel`, undefined, options),
  uncancel: (key: string, options: CommandOptions = {}) =>
    command('POST', `/subscriptions/${id(key)}/uncancel`, undefined, options),
  pay: (key: string, options: CommandOptions = {}) => command<Subscribed>('POST', `/subscriptions/${id(key)}/pay`, undefined, options),
  changePaymentMethod: (key: string, paymentMethod: string, options: CommandOptions = {}) =>
    command('PUT', `/subscriptions/${id(key)}/payment-method`, { payment_method: paymentMethod }, options),

  saveProfile: (
    input: { display_name: string; email?: string | null; locale?: string | null; phone?: string | null },
    options: CommandOptions = {},
  ) => command('PUT', '/me', input, options),
  setRoles: (subject: string, roles: string[], options: CommandOptions = {}) =>
    command('PUT', `/accounts/${id(subject)}/roles`, { roles }, options),
};
