// Which console areas a token's roles open. The APIs decide every request; this only decides what
// the console shows. Like the APIs (`Principal::may`), `catalog-admin` may do everything.

export const ADMIN_ROLES = [
  'catalog-admin',
  'catalog-categories',
  'catalog-genres',
  'catalog-cast-members',
  'catalog-videos',
  'billing-plans',
  'billing-subscriptions',
  'accounts-admin',
  'operations',
] as const;

/** Every role an accounts admin may grant (the command API's `RoleName`). */
export const GRANTABLE_ROLES: readonly string[] = [...ADMIN_ROLES, 'viewer'];

export type Area =
  | 'categories'
  | 'genres'
  | 'cast-members'
  | 'videos'
  | 'plans'
  | 'subscriptions'
  | 'accounts'
  | 'account-roles'
  | 'notifications'
  | 'dead-letters';

// The role each API checks. Listing accounts is the query API's billing read
// (`billing-subscriptions`); changing roles and the delivery log need `accounts-admin`; the
// consumers' dead letters (the command API's operations routes) need `operations`.
const NEEDS: Record<Area, string> = {
  categories: 'catalog-categories',
  genres: 'catalog-genres',
  'cast-members': 'catalog-cast-members',
  videos: 'catalog-videos',
  plans: 'billing-plans',
  subscriptions: 'billing-subscriptions',
  accounts: 'billing-subscriptions',
  'account-roles': 'accounts-admin',
  notifications: 'accounts-admin',
  'dead-letters': 'operations',
};

export function may(roles: readonly string[], area: Area): boolean {
  return roles.includes('catalog-admin') || roles.includes(NEEDS[area]);
}

export function isAdmin(roles: readonly string[]): boolean {
  return roles.some((role) => (ADMIN_ROLES as readonly string[]).includes(role));
}

export interface NavItem {
  to: string;
  label: string;
  /** Shown when any of these areas is open. */
  areas: Area[];
}

export interface NavGroup {
  label: string;
  items: NavItem[];
}

export const NAV: NavGroup[] = [
  {
    label: 'Catalog',
    items: [
      { to: '/videos', label: 'Videos', areas: ['videos'] },
      { to: '/categories', label: 'Categories', areas: ['categories'] },
      { to: '/genres', label: 'Genres', areas: ['genres'] },
      { to: '/cast-members', label: 'Cast members', areas: ['cast-members'] },
    ],
  },
  {
    label: 'Billing',
    items: [
      { to: '/plans', label: 'Plans', areas: ['plans'] },
      { to: '/subscriptions', label: 'Subscriptions', areas: ['subscriptions'] },
    ],
  },
  {
    label: 'People',
    items: [
      { to: '/accounts', label: 'Accounts', areas: ['accounts', 'account-roles'] },
      { to: '/notifications', label: 'Notifications', areas: ['notifications'] },
    ],
  },
  {
    label: 'Operations',
    items: [{ to: '/dead-letters', label: 'Dead letters', areas: ['dead-letters'] }],
  },
];

/** The navigation a user with these roles sees: empty groups are left out. */
export function navFor(roles: readonly string[]): NavGroup[] {
  return NAV.map((group) => ({
    ...group,
    items: group.items.filter((item) => item.areas.some((area) => may(roles, area))),
  })).filter((group) => group.items.length > 0);
}
