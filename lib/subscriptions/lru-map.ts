/** A Map that keeps at most `capacity` entries, dropping the least recently used. */
export class LruMap<K, V> {
  private readonly map = new Map<K, V>();
  /**
   * The most recently used key, last in the map's order: reading it again moves nothing. Sends to one endpoint come
   * in runs, and each move is a delete and a set that leave a hole, so a small map was rebuilt every few reads.
   */
  private newest: K | undefined = undefined;

  constructor(private readonly capacity: number) {}

  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined && key !== this.newest) {
      this.map.delete(key);
      this.map.set(key, value);
      this.newest = key;
    }
    return value;
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    this.newest = key;
    if (this.map.size > this.capacity) this.delete(this.map.keys().next().value as K);
  }

  delete(key: K): void {
    this.map.delete(key);
    if (key === this.newest) this.newest = undefined;
  }

  clear(): void {
    this.map.clear();
    this.newest = undefined;
  }
}
