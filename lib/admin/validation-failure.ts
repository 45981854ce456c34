import { BadRequestException } from '@nestjs/common';

/** The admin (and portal) API's 400 naming one field: `{ statusCode, error, message: [message], code: 'VALIDATION_FAILED', fields: [field] }`. */
export function validationFailure(field: string, message: string): BadRequestException {
  return new BadRequestException({ statusCode: 400, error: 'Bad Request', message: [message], code: 'VALIDATION_FAILED', fields: [field] });
}
