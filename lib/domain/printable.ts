/** `String(value)` for error messages, also for values that refuse it (null-prototype objects, a throwing toString). */
export function printable(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
