// The top bar: the brand, the main links, the search box and the account.

import type { FormEvent } from 'react';
import { Link, NavLink, useLocation, useNavigate } from 'react-router';
import { signIn, signOut, signUp } from '../shared/auth';
import { displayName, useSession } from './session';

export function Header() {
  const { user, loading } = useSession();
  const location = useLocation();
  const navigate = useNavigate();
  const onSearch = location.pathname === '/search';
  const q = onSearch ? new URLSearchParams(location.search).get('q') ?? '' : '';

  const search = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const value = new FormData(event.currentTarget).get('q')?.toString().trim() ?? '';
    navigate(value ? `/search?${new URLSearchParams({ q: value })}` : '/search');
  };

  return (
    <header className="vw-header">
      <Link to="/" className="vw-brand">Codeflix</Link>
      <nav aria-label="Main" className="vw-nav">
        <ul>
          <li><NavLink to="/" end>Home</NavLink></li>
          <li><NavLink to="/plans">Plans</NavLink></li>
          {user && <li><NavLink to="/account">Account</NavLink></li>}
        </ul>
      </nav>
      <form role="search" className="vw-search-form" onSubmit={search}>
        <label htmlFor="site-search" className="cf-visually-hidden">Search videos</label>
        {/* Keyed by the query, so going back and forth between searches shows each one's words. */}
        <input key={q} id="site-search" name="q" type="search" defaultValue={q} placeholder="Titles, descriptions…" maxLength={500} />
        <button type="submit">Search</button>
      </form>
      <div className="vw-account">
        {loading ? null : user ? (
          <>
            <span className="vw-user">{displayName(user)}</span>
            <button type="button" onClick={() => void signOut()}>Sign out</button>
          </>
        ) : (
          <>
            <button type="button" onClick={() => void signIn()}>Sign in</button>
            <button type="button" className="primary" onClick={() => void signUp()}>Sign up</button>
          </>
        )}
      </div>
    </header>
  );
}
