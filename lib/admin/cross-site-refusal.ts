import { HttpException } from '@nestjs/common';
import { crossSiteProblem } from './csrf';
import { requestOrigin, type OriginRequest } from './request-origin';

/**
 * Throws the 403 or 415 of {@link crossSiteProblem} (a JSON body `{ statusCode, error, message, code }` saying
 * why) for a state-changing request that a browser sent from another site, or with a body that is not JSON.
 */
export function refuseCrossSite(req: OriginRequest & { method: string }, allowedOrigins: readonly string[]): void {
  const problem = crossSiteProblem(req.method, req.headers, requestOrigin(req), allowedOrigins);
  if (!problem) return;
  const error = problem.status === 403 ? 'Forbidden' : 'Unsupported Media Type';
  throw new HttpException({ statusCode: problem.status, error, message: problem.message, code: problem.code }, problem.status);
}
