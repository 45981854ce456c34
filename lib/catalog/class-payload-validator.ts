import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validate, type ValidationError } from 'class-validator';
import type { PayloadFieldError } from '../domain/webhook.error';
import type { ClassValidatorSchema } from './event-catalog.types';
import type { PayloadValidator } from './payload-validator';

/** Whether class-validator knows any decorator of `cls` (or of a class it extends). */
export function hasValidationMetadata(cls: ClassValidatorSchema): boolean {
  return getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false).length > 0;
}

/**
 * A class-validator class as a payload schema, checked the way Nest's `ValidationPipe` checks a JSON body: the
 * payload becomes an instance with `plainToInstance` (so `@Type()` builds nested objects) and `validate()` runs
 * every decorator, async ones included. Properties without decorators are allowed; the payload sent is never
 * changed.
 */
export class ClassPayloadValidator implements PayloadValidator {
  constructor(private readonly cls: ClassValidatorSchema) {}

  async validate(payload: unknown): Promise<PayloadFieldError[]> {
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
      return [{ path: '', message: `must be an object (${this.cls.name || 'a class-validator class'}), not ${payload === null ? 'null' : Array.isArray(payload) ? 'an array' : typeof payload}` }];
    }
    const instance = plainToInstance(this.cls as new () => object, payload);
    const errors = await validate(instance, { forbidUnknownValues: true, validationError: { target: false, value: false } });
    return flatten(errors, '');
  }
}

/** One entry per failed constraint, with dot paths (array items by index: `lines.0.sku`). */
function flatten(errors: readonly ValidationError[], parent: string): PayloadFieldError[] {
  const out: PayloadFieldError[] = [];
  for (const e of errors) {
    const property = e.property === undefined || e.property === null ? '' : String(e.property);
    const path = parent && property ? `${parent}.${property}` : parent || property;
    for (const message of Object.values(e.constraints ?? {})) out.push({ path, message: withoutName(message, property) });
    if (e.children?.length) out.push(...flatten(e.children, path));
  }
  return out;
}

/** class-validator's messages start with the property name (`email must be an email`); the path says it already. */
function withoutName(message: string, property: string): string {
  return property && message.startsWith(`${property} `) ? message.slice(property.length + 1) : message;
}
