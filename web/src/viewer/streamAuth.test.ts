import { beforeEach, describe, expect, it, vi } from 'vitest';
import { queryUrl } from '../shared/api';
import { accessToken } from '../shared/auth';
import { isUnder, streamRequestFilter, type StreamRequest } from './streamAuth';

vi.mock('../shared/api', () => ({ queryUrl: vi.fn() }));
vi.mock('../shared/auth', () => ({ accessToken: vi.fn() }));

const PAGE = 'https://codeflix.example/videos/1';

function request(...uris: string[]): StreamRequest {
  return { uris, headers: {} };
}

async function filtered(base: string, ...uris: string[]): Promise<string | undefined> {
  vi.mocked(queryUrl).mockResolvedValue(base);
  const sent = request(...uris);
  await streamRequestFilter({ page: () => PAGE })(0, sent);
  return sent.headers['Authorization'];
}

describe('the stream request filter', () => {
  beforeEach(() => {
    vi.mocked(accessToken).mockReset().mockResolvedValue('viewer-token');
    vi.mocked(queryUrl).mockReset();
  });

  it('sends the token to the query API, relative or absolute, asking the API where it is', async () => {
    expect(await filtered('/api/query', '/api/query/videos/1/stream/video/manifest.mpd')).toBe('Bearer viewer-token');
    expect(await filtered('/api/query', 'https://codeflix.example/api/query/videos/1/seg-1.m4s')).toBe('Bearer viewer-token');
    // Resolved against the page (shaka hands over segment URIs already resolved against the
    // manifest): a bare name here is /videos/seg-1.m4s, not the API.
    expect(await filtered('/api/query', 'seg-1.m4s')).toBeUndefined();
    expect(await filtered('https://api.codeflix.example/query', 'https://api.codeflix.example/query/videos/1/master.m3u8')).toBe(
      'Bearer viewer-token',
    );
    expect(queryUrl).toHaveBeenCalledWith('');
  });

  it('never sends it to another host, scheme or port', async () => {
    expect(await filtered('/api/query', 'https://cdn.elsewhere.example/api/query/seg-1.m4s')).toBeUndefined();
    expect(await filtered('/api/query', '//evil.example/api/query/seg-1.m4s')).toBeUndefined();
    expect(await filtered('/api/query', 'http://codeflix.example/api/query/seg-1.m4s')).toBeUndefined();
    expect(await filtered('/api/query', 'https://codeflix.example:8443/api/query/seg-1.m4s')).toBeUndefined();
    expect(await filtered('/api/query', 'data:application/dash+xml,<MPD/>')).toBeUndefined();
    expect(await filtered('https://api.codeflix.example/query', '/api/query/videos/1/manifest.mpd')).toBeUndefined();
  });

  it('never sends it to another path of the same origin', async () => {
    expect(await filtered('/api/query', '/api/command/videos')).toBeUndefined();
    expect(await filtered('/api/query', '/api/queryx/seg-1.m4s')).toBeUndefined();
    expect(await filtered('/api/query', '/api/query/../command/videos')).toBeUndefined();
    expect(await filtered('/api/query', '/api/query/%2e%2e/command/videos')).toBeUndefined();
    expect(await filtered('/api/query', '/elsewhere/seg-1.m4s')).toBeUndefined();
  });

  it('sends it only when every URI of the request is on the query API', async () => {
    expect(await filtered('/api/query', '/api/query/seg-1.m4s', 'https://cdn.elsewhere.example/seg-1.m4s')).toBeUndefined();
    expect(await filtered('/api/query', '/api/query/seg-1.m4s', '/api/query/seg-1b.m4s')).toBe('Bearer viewer-token');
  });

  it('sends nothing when signed out', async () => {
    vi.mocked(accessToken).mockResolvedValue(undefined);
    expect(await filtered('/api/query', '/api/query/videos/1/manifest.mpd')).toBeUndefined();
  });
});

describe('isUnder', () => {
  it('resolves against the page and compares origin and path segments', () => {
    expect(isUnder('/api/query', '/api/query/', PAGE)).toBe(true);
    expect(isUnder('/api/query/x', '/api/query/', PAGE)).toBe(true);
    expect(isUnder('../api/query/x', '/api/query', PAGE)).toBe(true);
    expect(isUnder('/api/query-other/x', '/api/query', PAGE)).toBe(false);
    expect(isUnder('http://[bad', '/api/query', PAGE)).toBe(false);
  });
});
