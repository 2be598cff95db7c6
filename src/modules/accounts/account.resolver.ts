import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { tenantActor, type GraphQLContext } from '../../graphql/context.js';
import { decodeCursor, encodeCursor, pageInfo, pageSize } from '../../graphql/pagination.js';
import { LocalDateScalar } from '../../graphql/scalars.js';
import { AppError } from '../../shared/errors.js';
import { Debtor } from '../debtors/debtor.type.js';
import type { DebtorRow } from '../debtors/debtor.repository.js';
import { bucketFor, daysPastDue } from './delinquency.logic.js';
import type { AccountStatus } from './account.logic.js';
import type { AccountRow } from './account.repository.js';
import type { LedgerRow } from './ledger.repository.js';
import type { PortfolioRow } from './portfolio.repository.js';
import {
  AccountFilterInput,
  ChangeAccountStatusInput,
  CreateAccountInput,
  ImportAccountsInput,
  MoveAccountInput,
  PostLedgerEntryInput,
  ReverseLedgerEntryInput,
} from './account.inputs.js';
import { Account, AccountBalance, AccountConnection, BucketChange, LedgerEntry, LedgerEntryConnection, Money, Portfolio, PostedEntries } from './account.type.js';
import { AccountImportResult } from './account-import.type.js';
import { money } from './money.view.js';
import type { ImportColumn } from './account-import.service.js';

const ACCOUNT_ORDER = 'account_id_desc';
const LEDGER_ORDER = 'ledger_id_desc';

export function toLedgerEntry(e: LedgerRow): LedgerEntry {
  return { ...e, amount: money(e.amount, e.currency) } as unknown as LedgerEntry;
}

@Resolver(() => Account)
export class AccountResolver {
  @Authorized('read')
  @Query(() => Account)
  account(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<AccountRow> {
    return ctx.services.accounts.get(tenantActor(ctx, 'accounts:read'), id);
  }

  @Authorized('read')
  @Query(() => AccountConnection, { description: 'Newest first.' })
  async accounts(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('filter', () => AccountFilterInput, { nullable: true }) filter: AccountFilterInput | null,
  ): Promise<AccountConnection> {
    const size = pageSize(first);
    const cursor = decodeCursor(after, ACCOUNT_ORDER);
    const page = await ctx.services.accounts.list(
      tenantActor(ctx, 'accounts:read'),
      { ...filter, statuses: filter?.statuses as AccountStatus[] | null | undefined },
      size,
      cursor?.id ?? null,
    );
    const cursorOf = (r: AccountRow) => encodeCursor(ACCOUNT_ORDER, '', r.id);
    const c = new AccountConnection();
    c.edges = page.rows.map((r) => ({ cursor: cursorOf(r), node: r as unknown as Account }));
    c.pageInfo = pageInfo(page.rows, page.hasNextPage, cursorOf);
    c.count = page.count;
    return c;
  }

  @Authorized('write')
  @Mutation(() => Account, { description: 'Creates the account and posts its opening ledger entries.' })
  async createAccount(@Ctx() ctx: GraphQLContext, @Arg('input', () => CreateAccountInput) input: CreateAccountInput): Promise<AccountRow> {
    return (await ctx.services.accounts.create(tenantActor(ctx), input)).account;
  }

  @Authorized('write')
  @Mutation(() => Account, { description: 'An illegal transition is BAD_USER_INPUT listing the allowed ones.' })
  changeAccountStatus(@Ctx() ctx: GraphQLContext, @Arg('input', () => ChangeAccountStatusInput) input: ChangeAccountStatusInput): Promise<AccountRow> {
    return ctx.services.accounts.changeStatus(tenantActor(ctx), input.id, input.version, input.status as AccountStatus, input.reason);
  }

  @Authorized('write')
  @Mutation(() => Account, { description: 'Moves an account to another portfolio of the same currency (audited).' })
  moveAccount(@Ctx() ctx: GraphQLContext, @Arg('input', () => MoveAccountInput) input: MoveAccountInput): Promise<AccountRow> {
    return ctx.services.accounts.move(tenantActor(ctx), input.id, input.version, input.portfolioId);
  }

  @Authorized('write')
  @Mutation(() => PostedEntries, { description: 'Idempotent on idempotencyKey.' })
  async postLedgerEntry(@Ctx() ctx: GraphQLContext, @Arg('input', () => PostLedgerEntryInput) input: PostLedgerEntryInput): Promise<PostedEntries> {
    const r = await ctx.services.accounts.post(tenantActor(ctx), input);
    return { account: r.account as unknown as Account, entries: r.entries.map(toLedgerEntry), replayed: r.replayed };
  }

  @Authorized('write')
  @Mutation(() => PostedEntries, { description: 'Posts the exact opposite of an entry. Idempotent on idempotencyKey.' })
  async reverseLedgerEntry(@Ctx() ctx: GraphQLContext, @Arg('input', () => ReverseLedgerEntryInput) input: ReverseLedgerEntryInput): Promise<PostedEntries> {
    const r = await ctx.services.accounts.reverse(tenantActor(ctx), input);
    return { account: r.account as unknown as Account, entries: r.entries.map(toLedgerEntry), replayed: r.replayed };
  }

  @Authorized('write')
  @Mutation(() => AccountImportResult, { description: 'Up to 10,000 rows; bad rows are reported by line and field. Idempotent on external references.' })
  async importAccounts(@Ctx() ctx: GraphQLContext, @Arg('input', () => ImportAccountsInput) input: ImportAccountsInput): Promise<AccountImportResult> {
    const rows = input.rows.map((r, i) => ({
      line: i + 1,
      values: {
        debtor_external_ref: r.debtorExternalRef,
        debtor_kind: r.debtorKind,
        debtor_name: r.debtorName,
        debtor_email: r.debtorEmail,
        debtor_phone: r.debtorPhone,
        account_external_ref: r.accountExternalRef,
        product_type: r.productType,
        currency: r.currency,
        principal: r.principal,
        interest: r.interest,
        fees: r.fees,
        opened_on: r.openedOn,
        due_on: r.dueOn,
        charged_off_on: r.chargedOffOn,
      } satisfies Partial<Record<ImportColumn, string | null | undefined>>,
    }));
    return ctx.services.accountImport.importRows(tenantActor(ctx), input.portfolioId, rows, input.atomic);
  }

  @FieldResolver(() => Money)
  originalPrincipal(@Root() a: AccountRow): Money {
    return money(a.originalPrincipal, a.currency);
  }

  @FieldResolver(() => AccountBalance)
  balance(@Root() a: AccountRow): AccountBalance {
    return {
      principal: money(a.principalBalance, a.currency),
      interest: money(a.interestBalance, a.currency),
      fees: money(a.feeBalance, a.currency),
      total: money(a.principalBalance + a.interestBalance + a.feeBalance, a.currency),
    };
  }

  @FieldResolver(() => Int, { description: "Days since the oldest unpaid due date, as of a local date (default today in the tenant's zone)." })
  async daysPastDue(@Root() a: AccountRow, @Ctx() ctx: GraphQLContext, @Arg('asOf', () => LocalDateScalar, { nullable: true }) asOf: string | null): Promise<number> {
    return daysPastDue(a.oldestUnpaidDueOn, asOf ?? (await ctx.loaders.today()));
  }

  @FieldResolver(() => String, { description: "The tenant's delinquency bucket for daysPastDue(asOf)." })
  async delinquencyBucket(@Root() a: AccountRow, @Ctx() ctx: GraphQLContext, @Arg('asOf', () => LocalDateScalar, { nullable: true }) asOf: string | null): Promise<string> {
    const [today, set] = await Promise.all([ctx.loaders.today(), ctx.loaders.bucketSet()]);
    return bucketFor(set.buckets, daysPastDue(a.oldestUnpaidDueOn, asOf ?? today)).label;
  }

  @FieldResolver(() => [BucketChange], { description: 'Dated bucket changes recorded by the delinquency refresh, oldest first.' })
  async bucketHistory(@Root() a: AccountRow, @Ctx() ctx: GraphQLContext): Promise<BucketChange[]> {
    const rows = await ctx.loaders.bucketHistory.load(a.id);
    return rows.map((r) => ({ bucket: r.bucketLabel, daysPastDue: r.daysPastDue, changedOn: r.changedOn, bucketSetVersion: r.bucketSetVersion }));
  }

  @FieldResolver(() => Debtor)
  async debtor(@Root() a: AccountRow, @Ctx() ctx: GraphQLContext): Promise<DebtorRow> {
    const d = await ctx.loaders.debtor.load(a.debtorId);
    if (!d) throw AppError.notFound('Debtor', a.debtorId);
    return d;
  }

  @FieldResolver(() => Portfolio)
  async portfolio(@Root() a: AccountRow, @Ctx() ctx: GraphQLContext): Promise<PortfolioRow> {
    const p = await ctx.loaders.portfolio.load(a.portfolioId);
    if (!p) throw AppError.notFound('Portfolio', a.portfolioId);
    return p;
  }

  @FieldResolver(() => LedgerEntryConnection, { description: 'Newest first; append-only.' })
  async ledger(
    @Root() a: AccountRow,
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ): Promise<LedgerEntryConnection> {
    const size = pageSize(first);
    const cursor = decodeCursor(after, LEDGER_ORDER);
    const page = await ctx.services.accounts.ledger(tenantActor(ctx), a.id, size, cursor?.id ?? null);
    const cursorOf = (r: LedgerRow) => encodeCursor(LEDGER_ORDER, '', r.id);
    return { edges: page.rows.map((r) => ({ cursor: cursorOf(r), node: toLedgerEntry(r) })), pageInfo: pageInfo(page.rows, page.hasNextPage, cursorOf) };
  }
}

@Resolver(() => Debtor)
export class DebtorAccountsResolver {
  @FieldResolver(() => [Account], { description: "The debtor's accounts this key can reach, newest first." })
  accounts(@Root() d: DebtorRow, @Ctx() ctx: GraphQLContext): Promise<AccountRow[]> {
    return ctx.loaders.accountsByDebtor.load(d.id);
  }
}
