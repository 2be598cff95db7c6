import { sql } from 'drizzle-orm';
import { rowsOf, type Tx } from '../../db/client.js';

export interface PlacedRow {
  agency_id: string;
  portfolio_id: string;
  currency: string;
  accounts: string;
  balance: string;
}

export interface CollectedRow {
  agency_id: string;
  portfolio_id: string;
  currency: string;
  dpd: number | string;
  collected: string;
}

export interface PromiseRow {
  agency_id: string;
  portfolio_id: string | null;
  kept: string;
  partially_kept: string;
  broken: string;
}

/**
 * The period is a range of the tenant's calendar days [from, to]; placements are instants. A placement counts
 * when it overlaps the period; a payment counts for it when its effective date is in the period and it was
 * received while the account was placed (a reversed payment counts for nothing). Days past due at placement
 * are counted in the tenant's time zone.
 */
function placements(tenantId: string, agencyId: string | null, from: string, to: string, tz: string) {
  return sql`
    select p.agency_id, p.portfolio_id, p.account_id, p.currency, p.balance_at_placement, p.placed_at,
           coalesce(p.ended_at, 'infinity'::timestamptz) as ends,
           coalesce(greatest(0, (p.placed_at at time zone ${tz})::date - p.due_since_at_placement), 0) as dpd
      from agency_placements p
     where p.tenant_id = ${tenantId} ${agencyId ? sql`and p.agency_id = ${agencyId}` : sql``}
       and p.placed_at < ((${to}::date + 1)::timestamp at time zone ${tz})
       and coalesce(p.ended_at, 'infinity'::timestamptz) > (${from}::date::timestamp at time zone ${tz})
       and p.ended_at is distinct from p.placed_at`;
}

export const agencyPerformanceRepository = {
  async placed(tx: Tx, tenantId: string, agencyId: string | null, from: string, to: string, tz: string): Promise<PlacedRow[]> {
    return rowsOf(
      await tx.execute(sql`
        with pl as (${placements(tenantId, agencyId, from, to, tz)}),
        -- An account placed twice in the period with one agency and portfolio (a grant replaced, say) was
        -- handed over once: its first placement's balance counts.
        firsts as (select distinct on (agency_id, portfolio_id, account_id) agency_id, portfolio_id, account_id, currency, balance_at_placement
                     from pl order by agency_id, portfolio_id, account_id, placed_at)
        select agency_id, portfolio_id, currency, count(*)::text as accounts, sum(balance_at_placement)::text as balance
          from firsts group by agency_id, portfolio_id, currency order by agency_id, portfolio_id`),
    );
  },

  async collected(tx: Tx, tenantId: string, agencyId: string | null, from: string, to: string, tz: string): Promise<CollectedRow[]> {
    return rowsOf(
      await tx.execute(sql`
        with pl as (${placements(tenantId, agencyId, from, to, tz)})
        select pl.agency_id, pl.portfolio_id, pl.currency, pl.dpd, sum(pa.amount)::text as collected
          from pl
          join payment_accounts pa on pa.tenant_id = ${tenantId} and pa.account_id = pl.account_id
                                  and pa.effective_on between ${from}::date and ${to}::date
          join payments y on y.tenant_id = pa.tenant_id and y.id = pa.payment_id
         where y.status = 'posted' and y.received_at >= pl.placed_at and y.received_at < pl.ends
         group by pl.agency_id, pl.portfolio_id, pl.currency, pl.dpd`),
    );
  },

  /** Promises the agency itself took, due in the period and resolved. */
  async promises(tx: Tx, tenantId: string, agencyId: string | null, from: string, to: string): Promise<PromiseRow[]> {
    return rowsOf(
      await tx.execute(sql`
        select pr.created_by_id as agency_id, coalesce(a.portfolio_id, pn.portfolio_ids[1]) as portfolio_id,
               count(*) filter (where pr.status = 'kept')::text as kept,
               count(*) filter (where pr.status = 'partially_kept')::text as partially_kept,
               count(*) filter (where pr.status = 'broken')::text as broken
          from promises pr
          left join accounts a on a.tenant_id = pr.tenant_id and a.id = pr.account_id
          left join plans pn on pn.tenant_id = pr.tenant_id and pn.id = pr.plan_id
         where pr.tenant_id = ${tenantId} and pr.created_by_kind = 'agency' ${agencyId ? sql`and pr.created_by_id = ${agencyId}` : sql``}
           and pr.promised_on between ${from}::date and ${to}::date
           and pr.status in ('kept', 'partially_kept', 'broken')
         group by 1, 2`),
    );
  },
};
