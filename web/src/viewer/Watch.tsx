// Whether this viewer may watch a video, decided before any stream is requested (open videos
// play for all; the others need a subscription that grants access now), then the player or the
// explanation. A refusal from the stream itself lands on the same explanation.

import { lazy, Suspense, useState, type ReactNode } from 'react';
import { useLocation } from 'react-router';
import type { Video } from '../shared/types';
import { Gate, type Denial } from './Gate';
import { useSession } from './session';
import { useMySubscription } from './subscription';
import { useImageUrl } from './VideoCard';

// The player module and shaka-player load only when something is going to play.
const Player = lazy(() => import('./Player').then((m) => ({ default: m.Player })));

export function Watch({ video }: { video: Video }) {
  const { user, loading: sessionLoading } = useSession();
  const subscription = useMySubscription();
  const location = useLocation();
  const [refusal, setRefusal] = useState<Denial>();
  const [attempt, setAttempt] = useState(0);
  const returnTo = location.pathname + location.search;
  const banner = useImageUrl(video, 'banner');

  const stream = video.streams.find((s) => s.slot.toLowerCase() === 'video');
  if (!video.playable || !stream) {
    return <Placeholder>This video is not ready to play yet. Check back soon.</Placeholder>;
  }

  const retry = () => {
    setRefusal(undefined);
    setAttempt((n) => n + 1);
    void subscription.refetch();
  };
  if (refusal) return <Gate denial={refusal} returnTo={returnTo} onRetry={retry} />;

  if (!video.opened) {
    if (sessionLoading) return <Placeholder>Checking your account…</Placeholder>;
    if (!user) return <Gate denial={{ kind: 'signed-out' }} returnTo={returnTo} />;
    if (subscription.isPending) return <Placeholder>Checking your subscription…</Placeholder>;
    // When the subscription cannot be read, the stream decides (and its refusal is explained).
    const current = subscription.data;
    if (current === null) return <Gate denial={{ kind: 'no-subscription' }} returnTo={returnTo} />;
    if (current && !current.access?.granted) {
      const denial: Denial = { kind: 'inactive', status: current.status, endedAt: current.ends_at ?? current.access_ends_at };
      return <Gate denial={denial} returnTo={returnTo} />;
    }
  }

  const denied = (status: 401 | 403) => {
    if (status === 401) setRefusal(user ? { kind: 'session-ended' } : { kind: 'signed-out' });
    else if (!user) setRefusal({ kind: 'signed-out' });
    else if (subscription.data === null) setRefusal({ kind: 'no-subscription' });
    else setRefusal({ kind: 'refused' });
  };
  return (
    <Suspense fallback={<Placeholder>Loading the player…</Placeholder>}>
      <Player key={attempt} stream={stream} title={video.title} poster={banner} onDenied={denied} />
    </Suspense>
  );
}

function Placeholder({ children }: { children: ReactNode }) {
  return (
    <div className="vw-player vw-player-empty">
      <p className="vw-player-status" aria-live="polite">{children}</p>
    </div>
  );
}
