// A deployment's theme: `gateway.theme` in codeflix's settings (e.g.
// CODEFLIX__GATEWAY__THEME__ACCENT=#0a84ff) reaches the apps in /config.json and overrides the
// matching custom properties of theme.css in both apps. The gateway accepts only these keys and
// plain CSS values.

export const THEME_KEYS = ['accent', 'accent-text', 'focus', 'font', 'radius'] as const;
export type Theme = Partial<Record<(typeof THEME_KEYS)[number], string>>;

export function applyTheme(theme: Theme | undefined, root: HTMLElement = document.documentElement): void {
  for (const key of THEME_KEYS) {
    const value = theme?.[key];
    if (value) root.style.setProperty(`--cf-${key}`, value);
  }
}
