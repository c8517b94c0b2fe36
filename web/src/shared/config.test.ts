import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const CONFIG = { issuer: 'https://id.example/realms/codeflix', client_id: 'web', command_api: '/api/command', query_api: '/api/query' };

function answer(status: number, body: unknown = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

// A fresh module per test: its cache is per page.
async function freshConfig() {
  vi.resetModules();
  return import('./config');
}

describe('loadConfig', () => {
  const fetchMock = vi.fn<typeof fetch>();
  beforeEach(() => {
    fetchMock.mockReset();
    vi.stubGlobal('fetch', fetchMock);
  });
  afterEach(() => vi.unstubAllGlobals());

  it('fetches /config.json once, and keeps it', async () => {
    fetchMock.mockResolvedValue(answer(200, CONFIG));
    const { loadConfig } = await freshConfig();
    expect(await loadConfig()).toEqual(CONFIG);
    expect(await loadConfig()).toEqual(CONFIG);
    expect(fetchMock).toHaveBeenCalledTimes(1);
    expect(fetchMock.mock.calls[0][0]).toBe('/config.json');
  });

  it('does not keep a failed answer: the next call asks again', async () => {
    fetchMock.mockResolvedValueOnce(answer(502)).mockResolvedValueOnce(answer(200, CONFIG));
    const { loadConfig } = await freshConfig();
    await expect(loadConfig()).rejects.toThrow('/config.json answered 502');
    expect(await loadConfig()).toEqual(CONFIG);
    expect(fetchMock).toHaveBeenCalledTimes(2);
  });

  it('does not keep a network failure either', async () => {
    fetchMock.mockRejectedValueOnce(new TypeError('Failed to fetch')).mockResolvedValueOnce(answer(200, CONFIG));
    const { loadConfig } = await freshConfig();
    await expect(loadConfig()).rejects.toThrow('Failed to fetch');
    expect(await loadConfig()).toEqual(CONFIG);
  });

  it('shares one request between callers while it is pending', async () => {
    fetchMock.mockResolvedValue(answer(200, CONFIG));
    const { loadConfig } = await freshConfig();
    const [a, b] = await Promise.all([loadConfig(), loadConfig()]);
    expect(a).toEqual(b);
    expect(fetchMock).toHaveBeenCalledTimes(1);
  });
});
