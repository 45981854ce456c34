import type { SubscriptionView } from '../admin/admin.views';
import { validationFailure } from '../admin/validation-failure';

/** A subscription as the portal shows it: the admin view without the operator's `metadata`. */
export type PortalSubscriptionView = Omit<SubscriptionView, 'metadata'>;

/**
 * Fields of a subscription body that only the operator sets: notes about the customer, and the overrides that
 * spend the app's capacity (retries, timeouts, concurrency, rate, ordered lanes).
 */
export const OPERATOR_FIELDS = ['metadata', 'retry_max_attempts', 'delivery_timeout_seconds', 'max_concurrent_per_endpoint', 'rate_limit_per_second', 'ordered'] as const;

/** A 400 naming the first operator field present in `body` (customers set url, event_types, description, headers, filter, signature_type). */
export function refuseOperatorFields(body: object): void {
  const given = OPERATOR_FIELDS.find((f) => (body as Record<string, unknown>)[f] !== undefined);
  if (given !== undefined) throw validationFailure(given, `${given} is set by the app's operator, not in the portal: leave it out`);
}

/** The admin view without `metadata`. */
export function customerView(view: SubscriptionView): PortalSubscriptionView {
  const { metadata: _metadata, ...rest } = view;
  return rest;
}
