import { useEffect, useState } from 'react';
import { completeSignIn } from './auth';

// A code is redeemed once, even when React runs the effect twice (StrictMode).
let completing: Promise<string> | undefined;

/** The page the identity provider sends the browser back to. */
export function Callback({ navigate }: { navigate: (to: string) => void }) {
  const [error, setError] = useState<string>();
  useEffect(() => {
    completing ??= completeSignIn();
    completing.then(
      (to) => navigate(to),
      (e: unknown) => setError(e instanceof Error ? e.message : String(e)),
    );
  }, []);
  if (error) {
    return (
      <main className="cf-alert" role="alert">
        Signing in did not finish: {error}. <a href={window.location.pathname.replace(/callback$/, '')}>Start again</a>.
      </main>
    );
  }
  return <p aria-live="polite">Signing you in…</p>;
}
