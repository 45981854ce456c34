import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { resolveWebhookConfig } from '../../lib/config/webhook-config';
import { WebhookPortalService } from '../../lib/portal';
import { MemoryPortalRevocationStore } from '../../lib/stores/memory/memory-portal-revocations';

const config = resolveWebhookConfig({ enable_portal: true, portal_secret: 'x'.repeat(32), portal_prefix: '/my/portal/' });

describe('WebhookPortalService, all within one millisecond', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('a revocation ends the sessions issued before it and spares those issued after it', async () => {
    jest.spyOn(Date, 'now').mockReturnValue(1_800_000_000_000);
    const service = new WebhookPortalService(config, new MemoryPortalRevocationStore());
    const before = await service.createSession({ tenant_id: 't' });
    await service.revokeSessions('t');
    const after = await service.createSession({ tenant_id: 't' });
    expect(await service.verify(before.token)).toEqual({ ok: false, reason: 'expired' });
    expect(await service.verify(after.token)).toMatchObject({ ok: true, claims: { tenant_id: 't' } });
    await service.revokeSessions('t');
    expect(await service.verify(after.token)).toEqual({ ok: false, reason: 'expired' });
    const third = await service.createSession({ tenant_id: 't' });
    expect(await service.verify(third.token)).toMatchObject({ ok: true });
  });

  it('builds a path link from the normalized prefix when there is no base URL', async () => {
    const s = await new WebhookPortalService(config, new MemoryPortalRevocationStore()).createSession({ tenant_id: 't', read_only: true });
    expect(s.url).toBe(`/my/portal/ui#token=${s.token}`);
  });
});
