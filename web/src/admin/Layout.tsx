// The console's frame: header with the user and sign-out, the navigation their roles open
// (a menu button on phones), and the main landmark.

import { useEffect, useRef, useState, type ReactNode } from 'react';
import { Link, NavLink, useLocation } from 'react-router';
import { signOut } from '../shared/auth';
import { navFor } from './roles';
import { useSession } from './session';

export function Layout({ children }: { children: ReactNode }) {
  const session = useSession();
  const roles = session.status === 'signed-in' ? session.roles : [];
  const name = session.status === 'signed-in' ? session.name : '';
  const [open, setOpen] = useState(false);
  const location = useLocation();
  const first = useRef(true);

  // After a navigation, close the phone menu and move focus to the new page's heading, so
  // screen readers hear where they are.
  useEffect(() => {
    setOpen(false);
    if (first.current) {
      first.current = false;
      return;
    }
    const frame = requestAnimationFrame(() => document.getElementById('page-title')?.focus());
    return () => cancelAnimationFrame(frame);
  }, [location.pathname]);

  return (
    <>
      <a className="cf-skip" href="#main">
        Skip to content
      </a>
      <header className="adm-header">
        <button
          type="button"
          className="adm-menu"
          aria-expanded={open}
          aria-controls="adm-nav"
          onClick={() => setOpen((o) => !o)}
        >
          Menu
        </button>
        <Link to="/" className="adm-brand">
          Codeflix <span>console</span>
        </Link>
        <div className="adm-user">
          <span className="adm-user-name">{name}</span>
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <div className="adm-shell">
        <nav id="adm-nav" aria-label="Console" className={open ? 'adm-nav open' : 'adm-nav'}>
          <ul>
            <li>
              <NavLink to="/" end>
                Dashboard
              </NavLink>
            </li>
          </ul>
          {navFor(roles).map((group) => (
            <div key={group.label}>
              <p className="adm-nav-heading" id={`nav-${group.label}`}>
                {group.label}
              </p>
              <ul aria-labelledby={`nav-${group.label}`}>
                {group.items.map((item) => (
                  <li key={item.to}>
                    <NavLink to={item.to}>{item.label}</NavLink>
                  </li>
                ))}
              </ul>
            </div>
          ))}
        </nav>
        <main id="main" tabIndex={-1}>
          {children}
        </main>
      </div>
    </>
  );
}
