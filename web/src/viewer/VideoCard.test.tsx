import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import type { ReactElement } from 'react';
import { describe, expect, it } from 'vitest';
import { setConfig } from '../shared/config';
import { video } from './fixtures';
import { Poster } from './VideoCard';

function renderAt(ui: ReactElement) {
  return render(<QueryClientProvider client={new QueryClient()}>{ui}</QueryClientProvider>);
}

setConfig({ issuer: 'http://idp/realms/codeflix', client_id: 'codeflix-web', command_api: '/api/command', query_api: '/api/query' });

const withImages = video({
  images: [
    { slot: 'BANNER', url: '/videos/v-1/images/banner?v=aa' },
    { slot: 'THUMBNAIL', url: '/videos/v-1/images/thumbnail?v=bb' },
    { slot: 'THUMBNAIL_HALF', url: '/videos/v-1/images/thumbnail_half?v=cc' },
  ],
});

function image(container: HTMLElement): HTMLImageElement | null {
  return container.querySelector('img');
}

describe('a video’s poster', () => {
  it('shows the thumbnail from the query API, lazy-loaded in a box of fixed size', async () => {
    const { container } = renderAt(<Poster video={withImages} />);
    await waitFor(() => expect(image(container)).not.toBeNull());
    const img = image(container)!;
    expect(img.getAttribute('src')).toBe('/api/query/videos/v-1/images/thumbnail?v=bb');
    expect(img.getAttribute('loading')).toBe('lazy');
    expect([img.getAttribute('width'), img.getAttribute('height')]).toEqual(['320', '180']);
    expect(img.getAttribute('alt')).toBe('');
  });

  it('prefers the half thumbnail for small posters', async () => {
    const { container } = renderAt(<Poster video={withImages} size="thumb" />);
    await waitFor(() => expect(image(container)).not.toBeNull());
    expect(image(container)!.getAttribute('src')).toBe('/api/query/videos/v-1/images/thumbnail_half?v=cc');
  });

  it('draws the title without artwork, or when the image fails', async () => {
    const plain = renderAt(<Poster video={video({ title: 'No Artwork' })} />);
    expect(plain.getByText('No Artwork')).toBeTruthy();
    expect(image(plain.container)).toBeNull();
    plain.unmount();

    const { container } = renderAt(<Poster video={{ ...withImages, title: 'Broken Image' }} />);
    await waitFor(() => expect(image(container)).not.toBeNull());
    fireEvent.error(image(container)!);
    expect(await screen.findByText('Broken Image')).toBeTruthy();
    expect(image(container)).toBeNull();
  });
});
