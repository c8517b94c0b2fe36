// The APIs' resources, as their OpenAPI documents describe them (command API `/openapi.json`,
// query API `/openapi.json`).

export interface Page<T> {
  items: T[];
  next_cursor?: string | null;
}

export interface Category {
  id: string;
  name: string;
  description?: string | null;
  /** For `If-Match`; lists of the query API carry it. */
  version?: number;
  /** In the admins' list (the public one has active categories only). */
  active?: boolean;
}

export interface NamedRef {
  id: string;
  name: string;
}

export interface Genre {
  id: string;
  name: string;
  categories: NamedRef[];
  /** For `If-Match`; lists of the query API carry it. */
  version?: number;
  /** In the admins' list (the public one has active genres only). */
  active?: boolean;
}

export type CastMemberKind = 'ACTOR' | 'DIRECTOR';

export interface CastMember {
  id: string;
  name: string;
  kind: CastMemberKind;
  /** For `If-Match`; the list of cast members carries it (a video's cast does not). */
  version?: number;
}

export const RATINGS = ['ER', 'L', '10', '12', '14', '16', '18'] as const;
export type Rating = (typeof RATINGS)[number];

export const SLOTS = ['video', 'trailer', 'banner', 'thumbnail', 'thumbnail_half'] as const;
export type Slot = (typeof SLOTS)[number];

export interface MediaState {
  slot: string;
  /** PENDING, PROCESSING, COMPLETED or ERROR. */
  status: string;
}

export interface Stream {
  slot: string;
  /** Path on the query API of the HLS master playlist. */
  hls: string;
  /** Path on the query API of the DASH manifest. */
  dash: string;
}

export interface Video {
  id: string;
  title: string;
  description: string;
  launch_year: number;
  duration_minutes: number;
  rating: Rating;
  /** Open to everyone; otherwise for subscribers. */
  opened: boolean;
  categories: NamedRef[];
  genres: NamedRef[];
  cast_members: CastMember[];
  media: MediaState[];
  /** Its VIDEO media is encoded. */
  playable: boolean;
  streams: Stream[];
  /** Its artwork (banner, thumbnails), each with a path on the query API. */
  images?: Image[];
  version: number;
  updated_at: string;
}

export interface Image {
  /** `BANNER`, `THUMBNAIL` or `THUMBNAIL_HALF`. */
  slot: string;
  /** A path on the query API, versioned by the upload. */
  url: string;
}

export interface MediaView {
  slot: string;
  media_id: string;
  status: string;
  checksum: string;
  size_bytes: number;
  content_type: string;
  raw_location: string;
  encoded_location?: string | null;
  /** Why the encoding failed (ERROR). */
  error?: string | null;
}

export interface HistoryEntry {
  version: number;
  event: string;
  at: string;
  actor: string;
}

export interface AdminVideo extends Video {
  published: boolean;
  created_at: string;
  media_details: MediaView[];
  /** The encoder's progress with each encoded file, by media id (`id`). */
  encodings?: EncodingView[];
  history?: HistoryEntry[];
}

export interface EncodingView {
  /** The media id. */
  id: string;
  slot: string;
  /** `REQUESTED`, `RUNNING`, `FINISHED` or `FAILED`. */
  status: string;
  /** From 1; 0 before the first attempt. */
  attempt: number;
  /** Of the attempt, 0–100. */
  percent: number;
  worker?: string | null;
  error?: string | null;
  /** After a failure: whether another attempt may succeed. */
  retryable?: boolean | null;
}

export interface Highlights {
  title: string;
  description: string;
}

export interface SearchHit {
  video: Video;
  score: number;
  highlights: Highlights;
}

export interface NamedCount {
  id: string;
  name: string;
  count: number;
}

export interface SearchFacets {
  categories: NamedCount[];
  genres: NamedCount[];
  cast_members: NamedCount[];
  launch_years: { year: number; count: number }[];
  ratings: { rating: string; count: number }[];
}

export interface SearchPage {
  total: number;
  items: SearchHit[];
  facets: SearchFacets;
}

export type BillingPeriod = 'MONTHLY' | 'YEARLY';

export interface Plan {
  id: string;
  name: string;
  description?: string | null;
  amount_minor: number;
  currency: string;
  billing_period: BillingPeriod;
  trial_days: number;
  active: boolean;
}

export interface PaymentView {
  at: string;
  outcome: string;
  amount_minor: number;
  currency: string;
  charge_id?: string | null;
  reason?: string | null;
  period_start?: string | null;
  period_end?: string | null;
}

export interface Subscription {
  id: string;
  account_id: string;
  plan_id: string;
  plan_name?: string | null;
  /** TRIALING, ACTIVE, PAST_DUE, CANCELED, EXPIRED or INCOMPLETE. */
  status: string;
  amount_minor: number;
  currency: string;
  billing_period: BillingPeriod;
  started_at: string;
  current_period_end: string;
  trial_ends_at?: string | null;
  canceled_at?: string | null;
  cancel_reason?: string | null;
  ends_at?: string | null;
  access_ends_at?: string | null;
  next_due_at?: string | null;
  payment_method?: string | null;
  payments: PaymentView[];
  history?: HistoryEntry[];
  renewals: number;
  attempts: number;
  version: number;
  created_at: string;
  updated_at: string;
  access?: { granted: boolean; until?: string | null };
}

export interface Account {
  id: string;
  subject: string;
  email: string;
  display_name: string;
  roles: string[];
  locale?: string | null;
  phone?: string | null;
  opted_out?: string[];
  version: number;
  created_at: string;
  updated_at: string;
}

export interface Me {
  subject: string;
  email?: string | null;
  name?: string | null;
  roles: string[];
  account?: Account | null;
}

export interface NotificationView {
  id: string;
  kind: string;
  channel: string;
  recipient: string;
  status: string;
  attempts: number;
  account?: string | null;
  last_error?: string | null;
  provider_message_id?: string | null;
  retryable?: boolean | null;
  requested_at: string;
  sent_at?: string | null;
  version: number;
  created_at: string;
  updated_at: string;
}

/** What a command answers. */
export interface Written {
  id: string;
  version: number;
  event_ids: string[];
  /** Send it back as `Codeflix-Consistency-Token` to read this write from the query API. */
  consistency_token?: string | null;
}

export interface Subscribed extends Written {
  status: string;
  payment?: { outcome: string; decline_code?: string | null; message?: string | null; charge_id?: string | null } | null;
}

/** A consumer the platform runs, with its dead letters counted (the command API's operations). */
export interface ConsumerSummary {
  name: string;
  description: string;
  dead_letters: number;
  waiting: number;
}

/** An event a consumer set aside, and why. */
export interface DeadLetter {
  /** Its place in the dead-letter topic (`partition-offset`). */
  id: string;
  topic: string;
  partition: number;
  offset: number;
  key?: string | null;
  event_type?: string | null;
  event_id?: string | null;
  occurred_at?: string | null;
  dead_lettered_at?: string | null;
  reason: string;
  redriven: boolean;
}

export interface DeadLetterPage extends Page<DeadLetter> {
  consumer: string;
  description: string;
  total: number;
  waiting: number;
  matching: number;
}

export interface Redriven {
  consumer: string;
  redriven: number;
}
