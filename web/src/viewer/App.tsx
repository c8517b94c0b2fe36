// The viewer app's routes, inside one page layout (skip link, header, main).

import { useEffect, useRef } from 'react';
import { Route, Routes, useLocation, useNavigate } from 'react-router';
import { Callback } from '../shared/Callback';
import { AccountPage } from './AccountPage';
import { Header } from './Header';
import { HomePage } from './HomePage';
import { NotFound } from './NotFound';
import { PlansPage } from './PlansPage';
import { SearchPage } from './SearchPage';
import { VideoPage } from './VideoPage';

export function App() {
  return (
    <Routes>
      <Route path="/callback" element={<SignInCallback />} />
      <Route path="*" element={<Layout />} />
    </Routes>
  );
}

function SignInCallback() {
  const navigate = useNavigate();
  return <Callback navigate={(to) => navigate(to, { replace: true })} />;
}

function Layout() {
  const main = useRef<HTMLElement>(null);
  const { pathname } = useLocation();
  const first = useRef(true);
  // After a navigation, start reading (and tabbing) at the new page, not in the old header spot.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus({ preventScroll: true });
    window.scrollTo?.(0, 0);
  }, [pathname]);

  return (
    <>
      <a className="cf-skip" href="#main">Skip to content</a>
      <Header />
      <main id="main" ref={main} tabIndex={-1} className="vw-main">
        <Routes>
          <Route path="/" element={<HomePage />} />
          <Route path="/search" element={<SearchPage />} />
          <Route path="/videos/:id" element={<VideoPage />} />
          <Route path="/plans" element={<PlansPage />} />
          <Route path="/account" element={<AccountPage />} />
          <Route path="*" element={<NotFound />} />
        </Routes>
      </main>
      <footer className="vw-footer">
        <p className="cf-muted">Codeflix</p>
      </footer>
    </>
  );
}
