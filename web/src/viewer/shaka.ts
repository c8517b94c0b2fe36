// shaka-player is large (about 200 KB gzip), so it is fetched only when a video is about to
// play: never part of the initial bundle. The ES2021 build is the smallest that has both the
// DASH and HLS parsers (the fallback needs both); the app targets ES2022 anyway.

import type shaka from 'shaka-player/dist/shaka-player.compiled-es2021.js';

export type Shaka = typeof shaka;

export async function loadShaka(): Promise<Shaka> {
  const module = await import('shaka-player/dist/shaka-player.compiled-es2021.js');
  return module.default;
}
