import { describe, expect, it } from 'vitest';
import { contextPrelude } from './client.js';

describe('tenant context prelude', () => {
  const tenant = '01a225c2-5470-7453-8fbb-305f1c205471';
  it('sets the role and every setting transaction-locally', () => {
    const sql = contextPrelude({ tenantId: tenant, portfolioIds: ['01a225c2-5470-7453-8fbb-305f1c205472'] });
    expect(sql).toMatch(/^begin; select set_config\('role', 'arrears_app', true\)/);
    expect(sql).toContain(`set_config('app.tenant_id', '${tenant}', true)`);
    expect(sql).toContain(`set_config('app.portfolio_ids', '{01a225c2-5470-7453-8fbb-305f1c205472}', true)`);
    // Prepared statements are still planned per call, with the call's own parameters.
    expect(sql).toContain(`set_config('plan_cache_mode', 'force_custom_plan', true)`);
    expect(sql).not.toMatch(/, false\)/);
  });

  it('refuses anything but UUIDs, since the values are inlined', () => {
    expect(() => contextPrelude({ tenantId: "x', true); reset role; --" })).toThrow(/UUID/);
    expect(() => contextPrelude({ tenantId: tenant, portfolioIds: ["'"] })).toThrow(/UUID/);
    expect(() => contextPrelude({ tenantId: tenant, agencyId: 'nope' })).toThrow(/UUID/);
  });
});
