import { describe, expect, it } from '@jest/globals';
import { newId } from '../../lib/domain/ids';

describe('newId', () => {
  it('makes version 4 UUIDs (RFC 9562 variant), lower-case, all different, across refills of its random pool', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const id = newId();
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      seen.add(id);
    }
    expect(seen.size).toBe(5000);
  });

  it('uses every hex digit in the random positions (no stuck nibble)', () => {
    const digits = new Set<string>();
    for (let i = 0; i < 200; i++) for (const c of newId().replace(/-/g, '').slice(0, 12)) digits.add(c);
    expect([...digits].sort().join('')).toBe('0123456789abcdef');
  });
});
