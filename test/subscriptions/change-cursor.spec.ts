import { describe, expect, it } from '@jest/globals';
import { ChangeCursor } from '../../lib/subscriptions/change-cursor';

const changes = (...ids: number[]) => ids.map((change_id) => ({ change_id, subscription_id: `s${change_id}` }));

describe('ChangeCursor', () => {
  it('takes each change once and advances past consecutive ids', () => {
    const c = new ChangeCursor(10, 1000, () => 0);
    expect(c.accept(changes(11, 12, 13))).toEqual(['s11', 's12', 's13']);
    expect(c.position).toBe(13);
    expect(c.accept(changes(12, 13, 14))).toEqual(['s14']);
    expect(c.position).toBe(14);
  });

  it('holds its position at a gap (a write that commits late), skips what it took above it, and takes the late one', () => {
    const c = new ChangeCursor(0, 1000, () => 0);
    expect(c.accept(changes(1, 3, 4))).toEqual(['s1', 's3', 's4']);
    expect(c.position).toBe(1);
    // read again from the position: 3 and 4 are not taken twice; 2 has committed meanwhile
    expect(c.accept(changes(2, 3, 4, 5))).toEqual(['s2', 's5']);
    expect(c.position).toBe(5);
  });

  it('gives up on an id missing longer than the timeout (a rolled-back write)', () => {
    let now = 0;
    const c = new ChangeCursor(0, 1000, () => now);
    c.accept(changes(1, 3));
    expect(c.position).toBe(1);
    now = 999;
    c.accept([]);
    expect(c.position).toBe(1);
    now = 1000;
    c.accept([]);
    expect(c.position).toBe(3);
  });
});
