import { randomUUID } from 'node:crypto';

/**
 * A new UUID as a flat string. Node 20's `randomUUID()` returns a string built from about 20 concatenated pieces
 * (~490 bytes on the heap until something flattens it); ids of pending deliveries live long, so they are
 * flattened once here (~66 bytes). Reading one character makes V8 flatten the string in place.
 */
export function newId(): string {
  const id = randomUUID();
  id.charCodeAt(0);
  return id;
}
