// Tests of the roles' order the UI hides things by (README "Roles").
import { describe, expect, it } from 'vitest';
import { roleAtLeast } from './info';

describe('roleAtLeast', () => {
  it('orders viewer < analyst < admin, and an unknown caller below all', () => {
    expect(roleAtLeast('viewer', 'viewer')).toBe(true);
    expect(roleAtLeast('viewer', 'analyst')).toBe(false);
    expect(roleAtLeast('analyst', 'analyst')).toBe(true);
    expect(roleAtLeast('analyst', 'admin')).toBe(false);
    expect(roleAtLeast('admin', 'analyst')).toBe(true);
    expect(roleAtLeast(undefined, 'viewer')).toBe(false);
    expect(roleAtLeast('none', 'viewer')).toBe(false);
  });
});
