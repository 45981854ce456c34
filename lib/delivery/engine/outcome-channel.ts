import { Subject, type Observable } from 'rxjs';
import type { WebhookOutcome } from '../../domain/outcome';
import type { EngineLogger } from './ports';

/** Where the engine publishes outcomes once stored: a listener that throws is logged and cannot stop the engine. */
export class OutcomeChannel {
  private readonly subject = new Subject<WebhookOutcome>();
  readonly outcomes: Observable<WebhookOutcome> = this.subject.asObservable();

  constructor(private readonly logger: EngineLogger) {}

  emit(outcome: WebhookOutcome): void {
    try {
      this.subject.next(outcome);
    } catch (err) {
      this.logger.error(`an outcomes$ listener threw: ${(err as Error).message}`);
    }
  }

  /** No more outcomes (shutdown). */
  complete(): void {
    this.subject.complete();
  }
}
