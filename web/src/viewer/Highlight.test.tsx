import { describe, expect, it } from 'vitest';
import { decodeEntities, highlightParts } from './Highlight';

describe('highlight strings', () => {
  it('splits matches from the rest', () => {
    expect(highlightParts('<b>Brasil</b> em <b>Foco</b>!')).toEqual([
      { text: 'Brasil', match: true },
      { text: ' em ', match: false },
      { text: 'Foco', match: true },
      { text: '!', match: false },
    ]);
  });

  it('undoes the HTML escaping of the text', () => {
    expect(decodeEntities('Tom &amp; Jerry &lt;3 &quot;x&quot; &#x27;y&#x27; &#47; &bogus;')).toBe('Tom & Jerry <3 "x" \'y\' / &bogus;');
  });
});
