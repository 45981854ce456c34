/**
 * The bytes of canonical base64 (standard alphabet, padded, nothing else), or null. Node's own decoder skips what
 * it does not understand, so a mangled key would otherwise decode to a shorter, different key.
 */
export function strictBase64(text: string): Buffer | null {
  if (text.length === 0 || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return null;
  const bytes = Buffer.from(text, 'base64');
  // Re-encoding gives the text back only when the padding and its unused bits are right.
  return bytes.toString('base64') === text ? bytes : null;
}
