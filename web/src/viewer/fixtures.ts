// Resources as the APIs answer them, for tests.

import type { Plan, SearchPage, Subscription, Video } from '../shared/types';

export function video(overrides: Partial<Video> = {}): Video {
  return {
    id: '11111111-1111-4111-8111-111111111111',
    title: 'Brasil em Foco',
    description: 'A journey through Brasil.',
    launch_year: 2021,
    duration_minutes: 92,
    rating: '12',
    opened: false,
    categories: [{ id: 'c1', name: 'Documentary' }],
    genres: [{ id: 'g1', name: 'Travel' }],
    cast_members: [
      { id: 'p1', name: 'Rita Lee', kind: 'DIRECTOR' },
      { id: 'p2', name: 'Caetano', kind: 'ACTOR' },
    ],
    media: [{ slot: 'VIDEO', status: 'COMPLETED' }],
    playable: true,
    streams: [{ slot: 'VIDEO', hls: '/videos/1/stream/video/master.m3u8', dash: '/videos/1/stream/video/manifest.mpd' }],
    version: 3,
    updated_at: '2026-01-01T00:00:00Z',
    ...overrides,
  };
}

export function searchPage(): SearchPage {
  return {
    total: 2,
    items: [
      {
        video: video(),
        score: 3.2,
        highlights: {
          title: '<b>Brasil</b> em Foco',
          description: 'A journey through <b>Brasil</b> &amp; &lt;img src=x onerror=alert(1)&gt; friends.',
        },
      },
      {
        video: video({ id: '22222222-2222-4222-8222-222222222222', title: 'Rio', description: 'Carnival.', opened: true }),
        score: 1.1,
        highlights: { title: 'Rio', description: 'Carnival in <b>Brasil</b>.' },
      },
    ],
    facets: {
      categories: [{ id: 'c1', name: 'Documentary', count: 2 }],
      genres: [{ id: 'g1', name: 'Travel', count: 1 }, { id: 'g2', name: 'Music', count: 1 }],
      cast_members: [{ id: 'p1', name: 'Rita Lee', count: 1 }],
      launch_years: [{ year: 2021, count: 2 }],
      ratings: [{ rating: '12', count: 2 }],
    },
  };
}

export function plan(overrides: Partial<Plan> = {}): Plan {
  return {
    id: 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa',
    name: 'Premium',
    description: 'Every video, in full HD.',
    amount_minor: 2990,
    currency: 'BRL',
    billing_period: 'MONTHLY',
    trial_days: 0,
    active: true,
    ...overrides,
  };
}

export function subscription(overrides: Partial<Subscription> = {}): Subscription {
  return {
    id: 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb',
    account_id: 'acc-1',
    plan_id: plan().id,
    plan_name: 'Premium',
    status: 'ACTIVE',
    amount_minor: 2990,
    currency: 'BRL',
    billing_period: 'MONTHLY',
    started_at: '2026-01-01T00:00:00Z',
    current_period_end: '2026-02-01T00:00:00Z',
    payment_method: 'card_4242424242424242',
    payments: [],
    renewals: 0,
    attempts: 1,
    version: 1,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    access: { granted: true, until: '2026-02-01T00:00:00Z' },
    ...overrides,
  };
}
