import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemo } from '../src/demo/seed.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

describe('demo seed (what npm start does on a fresh embedded database)', () => {
  it('creates a tenant whose key works, with debtors, accounts in every state of aging, and alerts', async () => {
    let early: string | null = null;
    const demo = await seedDemo(h.app.services, (r) => (early = r.apiKey));
    expect(early).toBe(demo.apiKey);
    expect(demo.debtors).toBeGreaterThanOrEqual(45);
    const r = await h.gql(demo.apiKey, `{
      debtors(first: 100) { totalCount edges { node { accounts { id } } } }
      portfolioAnalytics { accounts buckets { label accounts } collectedToDate { minor } }
      alerts(filter: { open: true }) { edges { node { id } } }
      verifyAuditLog { ok checked }
    }`);
    expect(r.errors).toBeUndefined();
    const d = r.data!;
    expect(d.debtors.totalCount).toBe(demo.debtors);
    expect(d.debtors.edges.every((e: any) => e.node.accounts.length === 1)).toBe(true);
    const a = d.portfolioAnalytics[0];
    expect(a.accounts).toBe(demo.debtors);
    expect(a.buckets.filter((b: any) => b.accounts > 0).length).toBeGreaterThanOrEqual(5);
    expect(BigInt(a.collectedToDate.minor)).toBeGreaterThan(0n);
    expect(d.alerts.edges.length).toBeGreaterThan(0);
    expect(d.verifyAuditLog.ok).toBe(true);

    // The demo agency's credentials give a token that sees the demo portfolio's debtors.
    const tok = await fetch(`${h.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: demo.agency!.clientId, client_secret: demo.agency!.clientSecret }).toString(),
    });
    expect(tok.status).toBe(200);
    const { access_token } = (await tok.json()) as { access_token: string };
    const g = await h.gql(access_token, `{ viewer { kind } debtors(first: 100) { totalCount } }`);
    expect(g.errors).toBeUndefined();
    expect(g.data!.viewer.kind).toBe('agency');
    expect(g.data!.debtors.totalCount).toBe(demo.debtors);
  });
});
