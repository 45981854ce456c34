/** Where background work reports what went wrong (a Nest `Logger` fits). */
export interface WebhookLogger {
  error(message: string): void;
  warn(message: string): void;
}
