import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { AppConfig } from './config';

// oidc-client-ts is the third-party boundary: a fake UserManager records what auth asks of it.
const oidc = vi.hoisted(() => ({
  managers: [] as { settings: Record<string, unknown>; signinRedirect: ReturnType<typeof vi.fn> }[],
  metadata: vi.fn(),
  callbackState: undefined as unknown,
  loadConfig: vi.fn<() => Promise<AppConfig>>(),
}));

vi.mock('oidc-client-ts', () => {
  class UserManager {
    signinRedirect = vi.fn(async () => undefined);
    getUser = vi.fn(async () => null);
    signinRedirectCallback = vi.fn(async () => ({ state: oidc.callbackState }));
    metadataService = { getMetadata: oidc.metadata };
    constructor(public settings: Record<string, unknown>) {
      oidc.managers.push(this);
    }
  }
  class WebStorageStateStore {}
  return { UserManager, WebStorageStateStore };
});

vi.mock('./config', () => ({ loadConfig: oidc.loadConfig }));

const CONFIG: AppConfig = { issuer: 'https://id.example/realms/codeflix', client_id: 'web', command_api: '/api/command', query_api: '/api/query' };

// A fresh module per test: its managers are cached per page.
async function freshAuth() {
  vi.resetModules();
  return import('./auth');
}

describe('auth', () => {
  beforeEach(() => {
    oidc.managers.length = 0;
    oidc.metadata.mockReset().mockResolvedValue({ issuer: CONFIG.issuer, authorization_endpoint: `${CONFIG.issuer}/auth` });
    oidc.loadConfig.mockReset().mockResolvedValue(CONFIG);
    oidc.callbackState = undefined;
  });

  it('tries the configuration again after it failed, instead of failing for the life of the page', async () => {
    oidc.loadConfig.mockReset().mockRejectedValueOnce(new Error('/config.json answered 502')).mockResolvedValue(CONFIG);
    const auth = await freshAuth();
    await expect(auth.currentUser()).rejects.toThrow('502');
    expect(await auth.currentUser()).toBeNull();
    expect(oidc.loadConfig).toHaveBeenCalledTimes(2);
    expect(oidc.managers).toHaveLength(1);
    // Kept once it worked.
    await auth.currentUser();
    expect(oidc.managers).toHaveLength(1);
  });

  it('tries the provider’s metadata again for sign-up after it failed', async () => {
    oidc.metadata.mockReset().mockRejectedValueOnce(new Error('provider unreachable')).mockResolvedValue({ issuer: CONFIG.issuer });
    const auth = await freshAuth();
    await expect(auth.signUp('/plans')).rejects.toThrow('provider unreachable');
    await auth.signUp('/plans');
    const register = oidc.managers.at(-1)!;
    expect(register.settings.metadata).toMatchObject({ authorization_endpoint: `${CONFIG.issuer}/protocol/openid-connect/registrations` });
    expect(register.signinRedirect).toHaveBeenCalledWith({ state: { returnTo: '/plans' } });
    expect(oidc.metadata).toHaveBeenCalledTimes(2);
  });

  it('comes back to a path of this app only, never to another host', async () => {
    const auth = await freshAuth();
    const after = async (returnTo: unknown) => {
      oidc.callbackState = { returnTo };
      return auth.completeSignIn();
    };
    expect(await after('/videos/1?t=2')).toBe('/videos/1?t=2');
    expect(await after('//evil.example/')).toBe('/');
    expect(await after('/\\evil.example/')).toBe('/');
    expect(await after('/\t/evil.example/')).toBe('/');
    expect(await after('https://evil.example/')).toBe('/');
    expect(await after(undefined)).toBe('/');
  });
});
