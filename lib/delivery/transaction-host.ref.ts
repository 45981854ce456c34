import { Inject, Injectable } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { TransactionHostLike, WebhookConfig } from '../config/webhook-config';
import { InvalidWebhookConfigError } from '../domain/webhook.error';
import { InjectWebhookConfig } from '../webhook.constants';

/**
 * The app's @nestjs-cls/transactional host that `transaction_host` names, found once every provider of the app
 * exists (the runtime host resolves it first thing at start-up, so a host that cannot be found stops the start).
 */
@Injectable()
export class TransactionHostRef {
  private host: TransactionHostLike | null = null;

  constructor(
    @InjectWebhookConfig() private readonly config: Pick<WebhookConfig, 'transaction_host'>,
    @Inject(ModuleRef) private readonly moduleRef: ModuleRef,
  ) {}

  /** Looks `transaction_host` up among the app's providers (nothing when unset); throws when it is not there. */
  resolve(): void {
    this.host = resolveTransactionHost(this.config.transaction_host, this.moduleRef);
  }

  /** The manager of the transaction active in this call's context, or undefined when none is. */
  activeTransaction(): unknown {
    return this.host?.isTransactionActive() ? this.host.tx : undefined;
  }
}

/** The instance `transaction_host` names (the class or token is looked up among the app's providers). */
function resolveTransactionHost(configured: WebhookConfig['transaction_host'], moduleRef: ModuleRef): TransactionHostLike | null {
  if (configured === undefined) return null;
  if (typeof configured === 'object') return configured;
  let host: TransactionHostLike | undefined;
  try {
    host = moduleRef.get<TransactionHostLike>(configured as never, { strict: false });
  } catch {
    host = undefined;
  }
  if (!host || typeof host.isTransactionActive !== 'function') {
    throw new InvalidWebhookConfigError(
      'transaction_host',
      'was not found among the app\'s providers: import ClsModule.forRoot({ plugins: [new ClsPluginTransactional({ adapter: new TransactionalAdapterTypeOrm({ dataSourceToken: DataSource }) })] }) in your AppModule, or pass the TransactionHost instance from forRootAsync',
    );
  }
  return host;
}
