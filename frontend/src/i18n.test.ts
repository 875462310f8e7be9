// Tests of the UI text: the browser's language picks the default, a stored choice wins, both languages say everything.
import { describe, expect, it } from 'vitest';
import { defaultLang, format, MESSAGES } from './i18n';

describe('i18n', () => {
  it('defaults from the browser and remembers a choice', () => {
    expect(defaultLang(null, ['zh-CN', 'en'])).toBe('zh');
    expect(defaultLang(null, ['en-US', 'zh-CN'])).toBe('en');
    expect(defaultLang(null, ['de-DE'])).toBe('en');
    expect(defaultLang('zh', ['en-US'])).toBe('zh');
    expect(defaultLang('xx', ['zh-TW'])).toBe('zh');
  });
  it('has every message in both languages, none empty', () => {
    const keys = Object.keys(MESSAGES.en).sort();
    expect(Object.keys(MESSAGES.zh).sort()).toEqual(keys);
    for (const lang of ['en', 'zh'] as const)
      for (const k of keys) expect((MESSAGES[lang] as Record<string, string>)[k]).not.toBe('');
  });
  it('fills placeholders', () => {
    expect(format('score {score} against {threshold}', { score: 170, threshold: 120 })).toBe('score 170 against 120');
    expect(format('{missing}')).toBe('{missing}');
  });
});
