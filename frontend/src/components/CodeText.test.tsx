// Tests of help-text rendering: backticked names become code, never literal backticks; unpaired ones stay text.
import { render } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import CodeText, { splitCode } from './CodeText';
import { MESSAGES } from '../i18n';

describe('CodeText', () => {
  it('splits text into plain and code pieces', () => {
    expect(splitCode('at least `threshold` in `window_sec` s')).toEqual([
      { code: false, text: 'at least ' },
      { code: true, text: 'threshold' },
      { code: false, text: ' in ' },
      { code: true, text: 'window_sec' },
      { code: false, text: ' s' },
    ]);
    expect(splitCode('a ` b')).toEqual([{ code: false, text: 'a ` b' }]);
  });
  it('renders every rule description of both languages without a literal backtick', () => {
    for (const dict of Object.values(MESSAGES)) {
      for (const [key, text] of Object.entries(dict)) {
        if (!key.startsWith('ruleDesc_')) continue;
        const { container, unmount } = render(<CodeText text={text} />);
        expect(container.textContent).not.toContain('`');
        expect(container.querySelectorAll('code').length).toBeGreaterThan(0);
        unmount();
      }
    }
  });
});
