/** Where background work reports what went wrong (a Nest `Logger` fits). */
export interface WebhookLogger {
  /** A failure. */
  error(message: string): void;
  /** Something an operator should look at. */
  warn(message: string): void;
}
