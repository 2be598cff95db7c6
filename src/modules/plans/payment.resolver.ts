import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { tenantActor, type GraphQLContext } from '../../graphql/context.js';
import { decodeCursor, encodeCursor, pageInfo, pageSize } from '../../graphql/pagination.js';
import { toLedgerEntry } from '../accounts/account.resolver.js';
import { LedgerEntry } from '../accounts/account.type.js';
import { money } from '../accounts/money.view.js';
import { PaymentFilterInput, RecordPaymentInput, ReversePaymentInput } from './plan.inputs.js';
import type { PaymentRow } from './payment.repository.js';
import type { PaymentResult as Result } from './payment.service.js';
import { InstallmentShare, Payment, PaymentConnection, PaymentResult } from './payment.type.js';
import { paymentView } from './plan.view.js';

const PAYMENT_ORDER = 'payment_id_desc';

function resultView(r: Result): PaymentResult {
  return { payment: paymentView(r.payment), entries: r.entries.map(toLedgerEntry), replayed: r.replayed };
}

@Resolver(() => Payment)
export class PaymentResolver {
  @Authorized('write')
  @Mutation(() => PaymentResult, { description: 'Records money received, exactly once per idempotency key, and explains where it went.' })
  async recordPayment(@Ctx() ctx: GraphQLContext, @Arg('input', () => RecordPaymentInput) input: RecordPaymentInput): Promise<PaymentResult> {
    return resultView(await ctx.services.payments.record(tenantActor(ctx, 'payments:record'), input));
  }

  @Authorized('write')
  @Mutation(() => PaymentResult, { description: 'Posts reversal entries and re-opens what the payment closed (installments, plan, settlement, statuses, promises).' })
  async reversePayment(@Ctx() ctx: GraphQLContext, @Arg('input', () => ReversePaymentInput) input: ReversePaymentInput): Promise<PaymentResult> {
    return resultView(await ctx.services.payments.reverse(tenantActor(ctx), input));
  }

  @Authorized('read')
  @Query(() => Payment)
  async payment(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<Payment> {
    return paymentView(await ctx.services.payments.get(tenantActor(ctx, 'accounts:read'), id));
  }

  @Authorized('read')
  @Query(() => PaymentConnection, { description: 'Newest first.' })
  async payments(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('filter', () => PaymentFilterInput, { nullable: true }) filter: PaymentFilterInput | null,
  ): Promise<PaymentConnection> {
    const size = pageSize(first);
    const cursor = decodeCursor(after, PAYMENT_ORDER);
    const page = await ctx.services.payments.list(tenantActor(ctx, 'accounts:read'), { ...filter }, size, cursor?.id ?? null);
    const cursorOf = (r: PaymentRow) => encodeCursor(PAYMENT_ORDER, '', r.id);
    return { edges: page.rows.map((r) => ({ cursor: cursorOf(r), node: paymentView(r) })), pageInfo: pageInfo(page.rows, page.hasNextPage, cursorOf) };
  }

  @FieldResolver(() => [LedgerEntry], { description: 'The payment entries it posted (and their reversals are in the account ledger).' })
  async entries(@Ctx() ctx: GraphQLContext, @Root() p: Payment & { ledgerGroupId: string | null }): Promise<LedgerEntry[]> {
    if (!p.ledgerGroupId) return [];
    return (await ctx.loaders.paymentEntries.load(p.ledgerGroupId)).map(toLedgerEntry);
  }

  @FieldResolver(() => [InstallmentShare])
  async installments(@Ctx() ctx: GraphQLContext, @Root() p: Payment & { currency: string }): Promise<InstallmentShare[]> {
    return (await ctx.loaders.paymentInstallmentShares.load(p.id)).map((r) => ({ installmentId: r.installmentId, amount: money(r.amount, p.currency) }));
  }
}
