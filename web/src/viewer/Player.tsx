// The video player: shaka-player on a native <video controls>, playing the encoded ladder (DASH
// first, HLS when DASH fails), with a quality choice. Stream requests to the query API carry the
// viewer's token (streamAuth.ts); a 401/403 from them is handed back to the page, which explains
// it in the player's place.

import { useEffect, useRef, useState } from 'react';
import type shakaTypes from 'shaka-player/dist/shaka-player.compiled-es2021.js';
import { queryUrl } from '../shared/api';
import type { Stream } from '../shared/types';
import { loadShaka } from './shaka';
import { streamRequestFilter } from './streamAuth';

type ShakaPlayer = shakaTypes.Player;
type Track = shakaTypes.extern.Track;

/** shaka's error codes this player reacts to (shaka.util.Error.Code). */
const BAD_HTTP_STATUS = 1001;
const HTTP_ERROR = 1002;
const LOAD_INTERRUPTED = 7000;
const CRITICAL = 2;

interface Props {
  /** The image shown before playback starts (the video's banner). */
  poster?: string;
  stream: Stream;
  title: string;
  /** The stream refused this viewer (401: no or bad token, 403: no access now). */
  onDenied: (status: 401 | 403) => void;
}

interface Quality {
  id: number;
  label: string;
  height: number;
  active: boolean;
}

type Phase = { kind: 'loading' } | { kind: 'ready' } | { kind: 'error'; message: string };

export function Player({ stream, title, poster, onDenied }: Props) {
  const videoRef = useRef<HTMLVideoElement>(null);
  const playerRef = useRef<ShakaPlayer | null>(null);
  const deniedRef = useRef(onDenied);
  deniedRef.current = onDenied;
  const [phase, setPhase] = useState<Phase>({ kind: 'loading' });
  const [qualities, setQualities] = useState<Quality[]>([]);
  const [choice, setChoice] = useState<'auto' | number>('auto');

  useEffect(() => {
    const video = videoRef.current;
    if (!video) return;
    let cancelled = false;
    let player: ShakaPlayer | undefined;

    // An error is either a refusal (the page explains it) or the end of playing.
    const fail = (error: unknown) => {
      if (cancelled || codeOf(error) === LOAD_INTERRUPTED) return;
      const denial = denialOf(error);
      if (denial) deniedRef.current(denial);
      else setPhase({ kind: 'error', message: messageOf(error) });
    };

    const start = async () => {
      const shaka = await loadShaka();
      if (cancelled) return;
      shaka.polyfill.installAll();
      if (!shaka.Player.isBrowserSupported()) {
        setPhase({ kind: 'error', message: 'This browser cannot play Codeflix videos. Try a recent Chrome, Edge, Firefox or Safari.' });
        return;
      }
      player = new shaka.Player();
      playerRef.current = player;
      await player.attach(video);
      // The token goes to the query API only, wherever a manifest points.
      player.getNetworkingEngine()?.registerRequestFilter(streamRequestFilter());
      const current = player;
      const update = () => !cancelled && setQualities(qualitiesOf(current.getVariantTracks()));
      current.addEventListener('trackschanged', update);
      current.addEventListener('variantchanged', update);
      current.addEventListener('adaptation', update);
      // Errors while loading reject load() (and may fall back to HLS); the event reports the
      // ones that end playing afterwards.
      let loaded = false;
      current.addEventListener('error', (event) => {
        const error = (event as unknown as { detail?: unknown }).detail;
        if (loaded && severityOf(error) === CRITICAL) fail(error);
      });

      let lastError: unknown;
      for (const path of [stream.dash, stream.hls]) {
        try {
          await current.load(await queryUrl(path));
          if (cancelled) return;
          loaded = true;
          update();
          setPhase({ kind: 'ready' });
          return;
        } catch (error) {
          if (cancelled) return;
          // A refusal is the same for both formats: no point trying the other.
          if (denialOf(error)) return fail(error);
          lastError = error;
        }
      }
      fail(lastError);
    };
    start().catch(fail);

    return () => {
      cancelled = true;
      playerRef.current = null;
      void player?.destroy();
    };
  }, [stream.dash, stream.hls]);

  const choose = (value: string) => {
    const player = playerRef.current;
    if (!player) return;
    if (value === 'auto') {
      player.configure({ abr: { enabled: true } });
      setChoice('auto');
      return;
    }
    const id = Number(value);
    const track = player.getVariantTracks().find((t) => t.id === id);
    if (!track) return;
    player.configure({ abr: { enabled: false } });
    player.selectVariantTrack(track, true);
    setChoice(id);
    setQualities(qualitiesOf(player.getVariantTracks()));
  };

  const playing = qualities.find((q) => q.active);
  return (
    <div className="vw-player-block">
      <div className="vw-player">
        <video ref={videoRef} controls playsInline poster={poster} aria-label={`${title} video`} />
        {phase.kind === 'loading' && <p className="vw-player-status" aria-live="polite">Loading the player…</p>}
        {phase.kind === 'error' && (
          <div className="vw-player-status" role="alert">
            <p>This video cannot play: {phase.message}</p>
          </div>
        )}
      </div>
      {phase.kind === 'ready' && qualities.length > 0 && (
        <div className="vw-quality">
          <label htmlFor="quality">Quality</label>
          <select id="quality" value={String(choice)} onChange={(e) => choose(e.target.value)}>
            <option value="auto">Auto{choice === 'auto' && playing ? ` (${playing.label})` : ''}</option>
            {qualities.map((q) => (
              <option key={q.id} value={q.id}>{q.label}</option>
            ))}
          </select>
        </div>
      )}
    </div>
  );
}

/** One choice per picture height (the best bitrate of it), highest first. */
function qualitiesOf(tracks: Track[]): Quality[] {
  const byHeight = new Map<number, Track>();
  for (const track of tracks) {
    const height = track.height ?? 0;
    const kept = byHeight.get(height);
    if (!kept || track.active || (!kept.active && track.bandwidth > kept.bandwidth)) byHeight.set(height, track);
  }
  return [...byHeight.values()]
    .sort((a, b) => (b.height ?? 0) - (a.height ?? 0) || b.bandwidth - a.bandwidth)
    .map((t) => ({
      id: t.id,
      height: t.height ?? 0,
      label: t.height ? `${t.height}p` : `${Math.round(t.bandwidth / 1000)} kbps`,
      active: t.active,
    }));
}

function codeOf(error: unknown): number | undefined {
  return (error as { code?: number } | null)?.code;
}

function severityOf(error: unknown): number | undefined {
  return (error as { severity?: number } | null)?.severity;
}

/** The status of a 401/403 answer to a stream request (shaka's BAD_HTTP_STATUS data: uri, status, …). */
function denialOf(error: unknown): 401 | 403 | undefined {
  if (codeOf(error) !== BAD_HTTP_STATUS) return undefined;
  const status = (error as { data?: unknown[] }).data?.[1];
  return status === 401 || status === 403 ? status : undefined;
}

function messageOf(error: unknown): string {
  const code = codeOf(error);
  if (code === BAD_HTTP_STATUS) {
    const status = (error as { data?: unknown[] }).data?.[1];
    return status === 404 ? 'the video file was not found.' : `the server answered ${String(status)}.`;
  }
  if (code === HTTP_ERROR) return 'Codeflix cannot be reached; check the connection and try again.';
  if (code !== undefined) return `the player stopped (error ${code}).`;
  return error instanceof Error ? error.message : 'something went wrong.';
}
