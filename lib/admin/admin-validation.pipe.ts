import { BadRequestException, ValidationPipe, type ArgumentMetadata, type ValidationError } from '@nestjs/common';
import * as classTransformer from 'class-transformer';
import * as classValidator from 'class-validator';

/** One message per invalid field, with dotted paths for nested ones. */
function flatten(errors: ValidationError[], parent = ''): Array<{ field: string; message: string }> {
  const out: Array<{ field: string; message: string }> = [];
  for (const e of errors) {
    const field = parent ? `${parent}.${e.property}` : e.property;
    for (const message of Object.values(e.constraints ?? {})) out.push({ field, message });
    if (e.children?.length) out.push(...flatten(e.children, field));
  }
  return out;
}

/**
 * The validation of the admin routes, independent of the host app's global pipes: unknown fields are
 * refused, query strings are converted (`limit`, `offset`, `active`), and a bad request gets a 400
 * `{ statusCode, error, message: string[], code: 'VALIDATION_FAILED', fields }` naming each bad field.
 * A body that is not a JSON object is refused too.
 */
export class WebhookAdminValidationPipe extends ValidationPipe {
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      validatorPackage: classValidator,
      transformerPackage: classTransformer,
      exceptionFactory: (errors: ValidationError[]) => {
        const problems = flatten(errors);
        return new BadRequestException({
          statusCode: 400,
          error: 'Bad Request',
          message: problems.map((p) => p.message),
          code: 'VALIDATION_FAILED',
          fields: [...new Set(problems.map((p) => p.field))],
        });
      },
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    if (metadata.type === 'body' && metadata.metatype && metadata.metatype !== Object) {
      if (value === undefined || value === null || value === '') value = {};
      if (typeof value !== 'object' || Array.isArray(value)) {
        throw new BadRequestException({ statusCode: 400, error: 'Bad Request', message: ['the request body must be a JSON object'], code: 'VALIDATION_FAILED', fields: ['body'] });
      }
    }
    return super.transform(value, metadata);
  }
}
