import { applyDecorators, Controller, UseFilters, UseGuards, UsePipes, type CanActivate, type Type } from '@nestjs/common';
import { WebhookAdminExceptionFilter } from './admin-exception.filter';
import { WebhookAdminValidationPipe } from './admin-validation.pipe';

/**
 * Fresh subclasses of `bases` routed under `path`, each carrying `guard`, the admin error filter and validation
 * pipe, so that apps with different prefixes can coexist in one process and the host app's global pipes are not
 * required. Used for the admin API and the portal API.
 */
export function routedControllers(bases: ReadonlyArray<Type<object>>, path: string, guard: Type<CanActivate>): Type[] {
  return bases.map((Base) => {
    const Routed = class extends Base {};
    Object.defineProperty(Routed, 'name', { value: Base.name });
    applyDecorators(Controller(path), UseGuards(guard), UseFilters(WebhookAdminExceptionFilter), UsePipes(new WebhookAdminValidationPipe()))(Routed);
    return Routed;
  });
}
