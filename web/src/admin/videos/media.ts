// A video's media slots as the admin API reports them. Slots are lower case in paths and upload
// metadata (`thumbnail_half`) and upper case in the query API's views (`THUMBNAIL_HALF`).

import type { AdminVideo, MediaView, Slot } from '../../shared/types';

export const SLOT_LABEL: Record<Slot, string> = {
  video: 'Video',
  trailer: 'Trailer',
  banner: 'Banner',
  thumbnail: 'Thumbnail',
  thumbnail_half: 'Half thumbnail',
};

/** What a slot takes, for the file picker (the API sniffs the content anyway). */
export const SLOT_ACCEPT: Record<Slot, string> = {
  video: 'video/*',
  trailer: 'video/*',
  banner: 'image/*',
  thumbnail: 'image/*',
  thumbnail_half: 'image/*',
};

export function mediaFor(video: Pick<AdminVideo, 'media_details'>, slot: string): MediaView | undefined {
  return video.media_details.find((m) => m.slot.toLowerCase() === slot.toLowerCase());
}

export function isEncoding(media: MediaView): boolean {
  return media.status === 'PENDING' || media.status === 'PROCESSING';
}

/** Whether the encoder still has work on this video (the page polls while it does). */
export function anyEncoding(video: Pick<AdminVideo, 'media_details'> | undefined): boolean {
  return !!video && video.media_details.some(isEncoding);
}

export function slotLabel(slot: string): string {
  return SLOT_LABEL[slot.toLowerCase() as Slot] ?? slot;
}
