import { beforeEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import { reads } from '../shared/api';
import { currentUser, signIn, signUp } from '../shared/auth';
import { subscription, video } from './fixtures';
import { loadShaka, type Shaka } from './shaka';
import { apiError, fakeUser, renderAt } from './testing';
import { VideoPage } from './VideoPage';

vi.mock('../shared/api', () => ({
  reads: { video: vi.fn(), mySubscription: vi.fn() },
  queryUrl: vi.fn(async (path: string) => `/api/query${path}`),
}));
vi.mock('../shared/auth', () => ({
  currentUser: vi.fn(),
  onUserChange: vi.fn(async () => () => undefined),
  accessToken: vi.fn(async () => 'token'),
  signIn: vi.fn(),
  signUp: vi.fn(),
}));
// shaka-player itself cannot run in jsdom: the loader stands in for it, and says whether the
// page tried to play at all.
vi.mock('./shaka', () => ({ loadShaka: vi.fn() }));

/** A shaka stand-in whose loads fail with an HTTP status (as shaka reports BAD_HTTP_STATUS). */
function shakaAnswering(status: number | null) {
  const loaded: string[] = [];
  class Player {
    static isBrowserSupported = () => true;
    attach = async () => undefined;
    getNetworkingEngine = () => ({ registerRequestFilter: () => undefined });
    addEventListener = () => undefined;
    configure = () => true;
    getVariantTracks = () => [
      { id: 1, height: 720, bandwidth: 3_000_000, active: true },
      { id: 2, height: 360, bandwidth: 800_000, active: false },
    ];
    destroy = async () => undefined;
    load = async (url: string) => {
      loaded.push(url);
      if (status !== null) throw { code: 1001, severity: 2, data: [url, status, '{}'] };
    };
  }
  vi.mocked(loadShaka).mockResolvedValue({ Player, polyfill: { installAll: () => undefined } } as unknown as Shaka);
  return loaded;
}

const at = `/videos/${video().id}`;

describe('a video for subscribers', () => {
  beforeEach(() => {
    vi.mocked(loadShaka).mockReset();
    vi.mocked(reads.video).mockResolvedValue(video({ opened: false }));
    vi.mocked(reads.mySubscription).mockReset();
    vi.mocked(currentUser).mockResolvedValue(null);
  });

  it('asks a signed-out viewer to sign in or sign up, and starts no player', async () => {
    renderAt(at, '/videos/:id', <VideoPage />);
    expect(await screen.findByRole('heading', { name: 'This video is for subscribers' })).toBeTruthy();
    expect(screen.getByRole('heading', { level: 1, name: 'Brasil em Foco' })).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(signIn).toHaveBeenCalledWith(at);
    fireEvent.click(screen.getByRole('button', { name: 'Sign up' }));
    expect(signUp).toHaveBeenCalledWith(at);
    expect(loadShaka).not.toHaveBeenCalled();
    expect(document.querySelector('video')).toBeNull();
    expect(reads.mySubscription).not.toHaveBeenCalled();
  });

  it('sends a signed-in viewer without a subscription to the plans', async () => {
    vi.mocked(currentUser).mockResolvedValue(fakeUser());
    vi.mocked(reads.mySubscription).mockRejectedValue(apiError(404, 'no subscription'));
    renderAt(at, '/videos/:id', <VideoPage />);
    expect(await screen.findByRole('heading', { name: 'Subscribe to watch' })).toBeTruthy();
    expect(screen.getByRole('link', { name: 'See plans' }).getAttribute('href')).toBe('/plans');
    expect(loadShaka).not.toHaveBeenCalled();
  });

  it('tells a viewer whose payment is overdue to pay', async () => {
    vi.mocked(currentUser).mockResolvedValue(fakeUser());
    vi.mocked(reads.mySubscription).mockResolvedValue(subscription({ status: 'PAST_DUE', access: { granted: false } }));
    renderAt(at, '/videos/:id', <VideoPage />);
    expect(await screen.findByRole('heading', { name: 'Your payment is overdue' })).toBeTruthy();
    expect(screen.getByRole('link', { name: 'Pay now in your account' }).getAttribute('href')).toBe('/account');
    expect(loadShaka).not.toHaveBeenCalled();
  });

  it('plays for a subscriber, with a quality choice', async () => {
    vi.mocked(currentUser).mockResolvedValue(fakeUser());
    vi.mocked(reads.mySubscription).mockResolvedValue(subscription());
    const loaded = shakaAnswering(null);
    renderAt(at, '/videos/:id', <VideoPage />);
    const quality = await screen.findByRole('combobox', { name: 'Quality' });
    expect([...(quality as HTMLSelectElement).options].map((o) => o.text)).toEqual(['Auto (720p)', '720p', '360p']);
    expect(loaded).toEqual(['/api/query/videos/1/stream/video/manifest.mpd']);
    expect(document.querySelector('video')?.hasAttribute('controls')).toBe(true);
  });

  it('explains a refusal from the stream itself instead of failing', async () => {
    vi.mocked(currentUser).mockResolvedValue(fakeUser());
    vi.mocked(reads.mySubscription).mockRejectedValue(apiError(503, 'read model unavailable'));
    const loaded = shakaAnswering(403);
    renderAt(at, '/videos/:id', <VideoPage />);
    expect(await screen.findByRole('heading', { name: 'This video cannot play right now' })).toBeTruthy();
    // A refusal is the same in both formats: HLS is not tried after DASH was refused.
    expect(loaded).toHaveLength(1);
    expect(screen.getByRole('button', { name: 'Try again' })).toBeTruthy();
  });
});

describe('a video open to everyone', () => {
  beforeEach(() => {
    vi.mocked(loadShaka).mockReset();
    vi.mocked(currentUser).mockResolvedValue(null);
  });

  it('plays for a signed-out viewer, falling back to HLS when DASH fails', async () => {
    vi.mocked(reads.video).mockResolvedValue(video({ opened: true }));
    const loaded = shakaAnswering(500);
    renderAt(at, '/videos/:id', <VideoPage />);
    expect(await screen.findByRole('alert')).toHaveProperty('textContent', 'This video cannot play: the server answered 500.');
    expect(loaded).toEqual(['/api/query/videos/1/stream/video/manifest.mpd', '/api/query/videos/1/stream/video/master.m3u8']);
  });

  it('says when the video is not ready to play', async () => {
    vi.mocked(reads.video).mockResolvedValue(video({ opened: true, playable: false, streams: [] }));
    renderAt(at, '/videos/:id', <VideoPage />);
    expect(await screen.findByText('This video is not ready to play yet. Check back soon.')).toBeTruthy();
    await waitFor(() => expect(loadShaka).not.toHaveBeenCalled());
  });

  it('says when there is no such video', async () => {
    vi.mocked(reads.video).mockRejectedValue(apiError(404, 'no video'));
    renderAt(at, '/videos/:id', <VideoPage />);
    expect(await screen.findByRole('heading', { name: 'Video not found' })).toBeTruthy();
  });
});
