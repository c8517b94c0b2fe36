import { describe, expect, it } from 'vitest';
import { applyTheme } from './theme';

describe('applyTheme', () => {
  it('sets the theme keys as custom properties and ignores others', () => {
    const root = document.createElement('div');
    applyTheme({ accent: '#0a84ff', radius: '12px', ...({ bg: 'red' } as object) }, root);
    expect(root.style.getPropertyValue('--cf-accent')).toBe('#0a84ff');
    expect(root.style.getPropertyValue('--cf-radius')).toBe('12px');
    expect(root.style.getPropertyValue('--cf-bg')).toBe('');
  });

  it('leaves the stylesheet alone without a theme', () => {
    const root = document.createElement('div');
    applyTheme(undefined, root);
    expect(root.getAttribute('style')).toBeNull();
  });
});
