// The console's gate: the callback page, then sign-in, then the pages the user's roles open.

import { useState, type ReactNode } from 'react';
import { Link, Route, Routes, useNavigate } from 'react-router';
import { Callback } from '../shared/Callback';
import { ErrorAlert } from '../shared/FieldErrors';
import { signIn, signOut } from '../shared/auth';
import { Dashboard } from './Dashboard';
import { Layout } from './Layout';
import { isAdmin, may, type Area } from './roles';
import { SessionProvider, useRoles, useSession } from './session';
import { PageHeader } from './ui';
// Every page in the first load: lazy pages would cost each first visit a suspended render,
// which React holds for 300 ms before showing the page; the whole console is about 150 KB gzip.
import CategoriesPage from './catalog/CategoriesPage';
import GenresPage from './catalog/GenresPage';
import CastMembersPage from './catalog/CastMembersPage';
import VideosPage from './videos/VideosPage';
import NewVideoPage from './videos/NewVideoPage';
import VideoPage from './videos/VideoPage';
import PlansPage from './billing/PlansPage';
import SubscriptionsPage from './billing/SubscriptionsPage';
import SubscriptionPage from './billing/SubscriptionPage';
import AccountsPage from './people/AccountsPage';
import NotificationsPage from './people/NotificationsPage';
import DeadLettersPage from './operations/DeadLettersPage';
import ConsumerPage from './operations/ConsumerPage';


export function App() {
  return (
    <SessionProvider>
      <Routes>
        <Route path="/callback" element={<CallbackPage />} />
        <Route path="*" element={<Gate />} />
      </Routes>
    </SessionProvider>
  );
}

/** Paths from the identity provider's round trip include /admin; the router's do not. */
function inApp(path: string): string {
  return path.startsWith('/admin') ? path.slice('/admin'.length) || '/' : path;
}

function CallbackPage() {
  const navigate = useNavigate();
  return (
    <div className="adm-center">
      <Callback navigate={(to) => navigate(inApp(to), { replace: true })} />
    </div>
  );
}

function Gate() {
  const session = useSession();
  switch (session.status) {
    case 'loading':
      return (
        <main id="main" className="adm-center">
          <p role="status">Checking your session…</p>
        </main>
      );
    case 'failed':
      return (
        <main id="main" className="adm-center">
          <h1>Codeflix console</h1>
          <ErrorAlert error={session.error} />
        </main>
      );
    case 'signed-out':
      return <SignInScreen />;
    case 'signed-in':
      return isAdmin(session.roles) ? (
        <Layout>
          <ConsoleRoutes />
        </Layout>
      ) : (
        <NoAdminRole name={session.name} />
      );
  }
}

function SignInScreen() {
  const [error, setError] = useState<unknown>();
  return (
    <main id="main" className="adm-center adm-signin">
      <h1>Codeflix console</h1>
      <p>Sign in with an admin account to manage the catalog, billing and accounts.</p>
      <ErrorAlert error={error} />
      <button
        type="button"
        className="primary"
        onClick={() => signIn(window.location.pathname + window.location.search).catch(setError)}
      >
        Sign in
      </button>
    </main>
  );
}

function NoAdminRole({ name }: { name: string }) {
  return (
    <main id="main" className="adm-center adm-signin">
      <h1>Your account has no admin role</h1>
      <p>
        You are signed in as <strong>{name}</strong>, but this account holds none of the console’s roles
        (catalog, billing, accounts or operations). Ask an accounts admin to grant you one, then sign in again.
      </p>
      <button type="button" onClick={() => void signOut()}>
        Sign out
      </button>
    </main>
  );
}

function ConsoleRoutes() {
  return (
    <Routes>
      <Route index element={<Dashboard />} />
      <Route path="categories" element={<Guard area="categories"><CategoriesPage /></Guard>} />
      <Route path="genres" element={<Guard area="genres"><GenresPage /></Guard>} />
      <Route path="cast-members" element={<Guard area="cast-members"><CastMembersPage /></Guard>} />
      <Route path="videos" element={<Guard area="videos"><VideosPage /></Guard>} />
      <Route path="videos/new" element={<Guard area="videos"><NewVideoPage /></Guard>} />
      <Route path="videos/:id" element={<Guard area="videos"><VideoPage /></Guard>} />
      <Route path="plans" element={<Guard area="plans"><PlansPage /></Guard>} />
      <Route path="subscriptions" element={<Guard area="subscriptions"><SubscriptionsPage /></Guard>} />
      <Route path="subscriptions/:id" element={<Guard area="subscriptions"><SubscriptionPage /></Guard>} />
      <Route path="accounts" element={<Guard area={['accounts', 'account-roles']}><AccountsPage /></Guard>} />
      <Route path="notifications" element={<Guard area="notifications"><NotificationsPage /></Guard>} />
      <Route path="dead-letters" element={<Guard area="dead-letters"><DeadLettersPage /></Guard>} />
      <Route path="dead-letters/:consumer" element={<Guard area="dead-letters"><ConsumerPage /></Guard>} />
      <Route path="*" element={<NotFound />} />
    </Routes>
  );
}

/** A page the user's roles do not open says so instead of failing request by request. */
function Guard({ area, children }: { area: Area | Area[]; children: ReactNode }) {
  const roles = useRoles();
  const areas = Array.isArray(area) ? area : [area];
  if (areas.some((a) => may(roles, a))) return <>{children}</>;
  return (
    <>
      <PageHeader title="Not allowed" />
      <p>Your roles do not include this part of the console. Ask an accounts admin if you need it.</p>
    </>
  );
}

function NotFound() {
  return (
    <>
      <PageHeader title="Page not found" />
      <p>
        There is no console page here. <Link to="/">Go to the dashboard</Link>.
      </p>
    </>
  );
}
