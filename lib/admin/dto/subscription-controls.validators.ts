import { registerDecorator, type ValidationArguments, type ValidationOptions } from 'class-validator';
import { FIXED_RESERVED_HEADERS, headersProblem } from '../../domain/custom-headers';
import { filterProblem } from '../../domain/filter/filter-validation';
import { overrideProblem, rateLimitProblem, type SubscriptionOverride } from '../../subscriptions/subscription-validation';

/**
 * class-validator decorators for the per-subscription controls, each the same rule the service applies (so the
 * admin API refuses bad input with a 400 naming the field, in the shape of every other validation error). What
 * depends on the module config is checked again by the service, whose `InvalidSubscriptionError` the admin
 * exception filter answers with a 400 naming the field too: the module's own header names as configured, the
 * override ceilings (`*_ceiling`) and a timeout against `lease_seconds`.
 */
function rule(name: string, problem: (value: unknown) => string | null, options?: ValidationOptions): PropertyDecorator {
  return (target: object, propertyName: string | symbol) =>
    registerDecorator({
      name,
      target: target.constructor,
      propertyName: propertyName as string,
      options,
      validator: {
        validate: (value: unknown) => problem(value) === null,
        defaultMessage: (args?: ValidationArguments) => problem(args?.value) ?? `${String(propertyName)} is invalid`,
      },
    });
}

const FIXED = new Set(FIXED_RESERVED_HEADERS);

/** Custom request headers: HTTP token names, values without CR/LF, bounded, none that HTTP itself manages. */
export const IsWebhookHeaders = (options?: ValidationOptions): PropertyDecorator =>
  rule('isWebhookHeaders', (v) => {
    const p = headersProblem(v, FIXED);
    return p && `${p.path}: ${p.message}`;
  }, options);

/** A payload filter of the documented grammar; the message points at the bad part. */
export const IsWebhookFilter = (options?: ValidationOptions): PropertyDecorator =>
  rule('isWebhookFilter', (v) => {
    const p = filterProblem(v);
    return p && `${p.path}: ${p.message}`;
  }, options);

/** An override of a module config key, within the key's bounds (its ceiling is the service's check). */
export const IsConfigOverride = (key: SubscriptionOverride, options?: ValidationOptions): PropertyDecorator => rule('isConfigOverride', (v) => overrideProblem(key, v), options);

/** A rate limit: an integer number of requests per second. */
export const IsRateLimit = (options?: ValidationOptions): PropertyDecorator => rule('isRateLimit', rateLimitProblem, options);
