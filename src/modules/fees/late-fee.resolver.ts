import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { tenantActor, type GraphQLContext } from '../../graphql/context.js';
import { decodeCursor, encodeCursor, pageInfo, pageSize } from '../../graphql/pagination.js';
import { LocalDateScalar } from '../../graphql/scalars.js';
import { toLedgerEntry } from '../accounts/account.resolver.js';
import { Account, LedgerEntry } from '../accounts/account.type.js';
import { JurisdictionFeeCapInput, LateFeePolicyInput, LateFeeTargetInput, WaiveFeeInput } from './late-fee.inputs.js';
import type { PolicyRow } from './late-fee.repository.js';
import type { PolicyInput } from './late-fee.service.js';
import {
  FeeWaiverResult,
  JurisdictionFeeCap,
  LateFeeAssessment,
  LateFeeAttachment,
  LateFeePolicy,
  LateFeePolicyConnection,
  LateFeePolicyVersion,
  LateFeePreview,
  LateFeeRun,
  LateFeeRunConnection,
  EffectiveLateFeePolicy,
  LateFeeExplanation,
} from './late-fee.type.js';
import { assessmentView, attachmentView, capView, effectiveView, previewView, runView, versionView, waiverView } from './late-fee.view.js';

const POLICY_ORDER = 'late_fee_policy_id_asc';
const RUN_ORDER = 'late_fee_run_id_desc';
const ASSESSMENT_ORDER = 'late_fee_assessment_id_desc';

function policyInput(input: LateFeePolicyInput): PolicyInput {
  return {
    ...input,
    frequency: input.frequency,
    flat: input.flat ?? null,
    percentage: input.percentage ? { ...input.percentage, base: input.percentage.base } : null,
    dailyInterest: input.dailyInterest ? { ...input.dailyInterest, dayCount: input.dailyInterest.dayCount } : null,
  };
}

@Resolver(() => LateFeePolicy)
export class LateFeePolicyResolver {
  @Authorized('read')
  @Query(() => LateFeePolicy)
  lateFeePolicy(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<PolicyRow> {
    return ctx.services.lateFees.policy(tenantActor(ctx), id);
  }

  @Authorized('read')
  @Query(() => LateFeePolicyConnection, { description: 'Oldest first.' })
  async lateFeePolicies(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ): Promise<LateFeePolicyConnection> {
    const size = pageSize(first);
    const cursor = decodeCursor(after, POLICY_ORDER);
    const page = await ctx.services.lateFees.policies(tenantActor(ctx), size, cursor?.id ?? null);
    const cursorOf = (r: PolicyRow) => encodeCursor(POLICY_ORDER, '', r.id);
    return { edges: page.rows.map((r) => ({ cursor: cursorOf(r), node: r })), pageInfo: pageInfo(page.rows, page.hasNextPage, cursorOf) };
  }

  @Authorized('admin')
  @Mutation(() => LateFeePolicyVersion, { description: 'Creates a policy at version 1.' })
  async createLateFeePolicy(@Ctx() ctx: GraphQLContext, @Arg('input', () => LateFeePolicyInput) input: LateFeePolicyInput): Promise<LateFeePolicyVersion> {
    return versionView((await ctx.services.lateFees.createPolicy(tenantActor(ctx), policyInput(input))).version);
  }

  @Authorized('admin')
  @Mutation(() => LateFeePolicyVersion, { description: 'A change is a new version; fees already charged keep pointing at the version that produced them.' })
  async reviseLateFeePolicy(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID) id: string,
    @Arg('expectedVersion', () => Int, { description: 'The current version you are revising: guards against concurrent edits.' }) expectedVersion: number,
    @Arg('input', () => LateFeePolicyInput) input: LateFeePolicyInput,
  ): Promise<LateFeePolicyVersion> {
    return versionView((await ctx.services.lateFees.revisePolicy(tenantActor(ctx), id, expectedVersion, policyInput(input))).version);
  }

  @Authorized('admin')
  @Mutation(() => LateFeeAttachment, { description: 'Attaches the policy to a target, replacing what was attached there.' })
  async attachLateFeePolicy(
    @Ctx() ctx: GraphQLContext,
    @Arg('policyId', () => ID) policyId: string,
    @Arg('target', () => LateFeeTargetInput) target: LateFeeTargetInput,
    @Arg('chargeFrom', () => LocalDateScalar, {
      nullable: true,
      description: 'Charge only periods that fall due from this date (no back-fees for accounts already overdue). Omitted: every period since each account fell due, caught up.',
    })
    chargeFrom: string | null,
  ): Promise<LateFeeAttachment> {
    return attachmentView(await ctx.services.lateFees.attach(tenantActor(ctx), policyId, target, chargeFrom ?? null));
  }

  @Authorized('admin')
  @Mutation(() => Boolean, { description: 'true when an attachment was removed.' })
  detachLateFeePolicy(@Ctx() ctx: GraphQLContext, @Arg('target', () => LateFeeTargetInput) target: LateFeeTargetInput): Promise<boolean> {
    return ctx.services.lateFees.detach(tenantActor(ctx), target);
  }

  @FieldResolver(() => LateFeePolicyVersion)
  async current(@Root() p: PolicyRow, @Ctx() ctx: GraphQLContext): Promise<LateFeePolicyVersion> {
    const versions = await ctx.loaders.lateFeeVersions.load(p.id);
    return versionView(versions.find((v) => v.version === p.currentVersion)!);
  }

  @FieldResolver(() => [LateFeePolicyVersion], { description: 'Newest first.' })
  async versions(@Root() p: PolicyRow, @Ctx() ctx: GraphQLContext): Promise<LateFeePolicyVersion[]> {
    return (await ctx.loaders.lateFeeVersions.load(p.id)).map(versionView);
  }

  @FieldResolver(() => [LateFeeAttachment])
  async attachments(@Root() p: PolicyRow, @Ctx() ctx: GraphQLContext): Promise<LateFeeAttachment[]> {
    return (await ctx.services.lateFees.attachmentsOf(tenantActor(ctx), p.id)).map(attachmentView);
  }
}

@Resolver()
export class LateFeeResolver {
  @Authorized('read')
  @Query(() => EffectiveLateFeePolicy, { description: 'Which policy applies to the account, from which level, and why.' })
  async effectiveLateFeePolicy(@Ctx() ctx: GraphQLContext, @Arg('accountId', () => ID) accountId: string): Promise<EffectiveLateFeePolicy> {
    return effectiveView(await ctx.services.lateFees.effective(tenantActor(ctx, 'accounts:read'), accountId));
  }

  @Authorized('read')
  @Query(() => LateFeePreview, { description: 'What an accrual run as of asOf (default today) would charge the account, step by step. Writes nothing.' })
  async previewLateFees(
    @Ctx() ctx: GraphQLContext,
    @Arg('accountId', () => ID) accountId: string,
    @Arg('asOf', () => LocalDateScalar, { nullable: true }) asOf: string | null,
  ): Promise<LateFeePreview> {
    return previewView(await ctx.services.lateFees.preview(tenantActor(ctx), accountId, asOf));
  }

  @Authorized('admin')
  @Mutation(() => LateFeeRun, { description: 'Assesses late fees for every account of the tenant as of asOf (default today). Exactly once per account and period.' })
  async assessLateFees(@Ctx() ctx: GraphQLContext, @Arg('asOf', () => LocalDateScalar, { nullable: true }) asOf: string | null): Promise<LateFeeRun> {
    return runView(await ctx.services.lateFees.assess(tenantActor(ctx), asOf, 'api'));
  }

  @Authorized('read')
  @Query(() => LateFeeRunConnection, { description: 'Newest first.' })
  async lateFeeRuns(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
  ): Promise<LateFeeRunConnection> {
    const size = pageSize(first);
    const cursor = decodeCursor(after, RUN_ORDER);
    const page = await ctx.services.lateFees.runs(tenantActor(ctx), size, cursor?.id ?? null);
    const cursorOf = (r: { id: string }) => encodeCursor(RUN_ORDER, '', r.id);
    return { edges: page.rows.map((r) => ({ cursor: cursorOf(r), node: runView(r) })), pageInfo: pageInfo(page.rows, page.hasNextPage, cursorOf) };
  }

  @Authorized('read')
  @Query(() => [JurisdictionFeeCap], { description: "Legal ceilings: shipped presets, replaced by the tenant's own rows of the same code." })
  async jurisdictionFeeCaps(@Ctx() ctx: GraphQLContext): Promise<JurisdictionFeeCap[]> {
    return (await ctx.services.lateFees.jurisdictionCaps(tenantActor(ctx))).map(capView);
  }

  @Authorized('admin')
  @Mutation(() => JurisdictionFeeCap, { description: 'Sets the tenant\'s own ceiling for a jurisdiction (replacing the preset of that code).' })
  async setJurisdictionFeeCap(@Ctx() ctx: GraphQLContext, @Arg('input', () => JurisdictionFeeCapInput) input: JurisdictionFeeCapInput): Promise<JurisdictionFeeCap> {
    return capView(await ctx.services.lateFees.setJurisdictionCap(tenantActor(ctx), input));
  }

  @Authorized('write')
  @Mutation(() => FeeWaiverResult, { description: "Waives a fee in full or in part. Above the policy's approval threshold it needs the admin scope. Idempotent on idempotencyKey." })
  async waiveLateFee(@Ctx() ctx: GraphQLContext, @Arg('input', () => WaiveFeeInput) input: WaiveFeeInput): Promise<FeeWaiverResult> {
    const r = await ctx.services.feeWaivers.waive(tenantActor(ctx), input);
    return { account: r.account as unknown as Account, waiver: waiverView(r.waiver), entries: r.entries.map(toLedgerEntry), replayed: r.replayed };
  }
}

@Resolver(() => Account)
export class AccountLateFeesResolver {
  @FieldResolver(() => [LateFeeAssessment], { description: 'Late-fee assessments recorded for this account, newest first (charged and zero).' })
  async lateFeeAssessments(
    @Root() a: { id: string },
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('before', () => ID, { nullable: true, description: 'Assessment id to page back from.' }) before: string | null,
  ): Promise<LateFeeAssessment[]> {
    return (await ctx.services.lateFees.assessmentsOf(tenantActor(ctx), a.id, pageSize(first), before)).map(assessmentView);
  }
}

@Resolver(() => LateFeeExplanation)
export class LateFeeExplanationResolver {
  @FieldResolver(() => String, { description: "The policy's name (its current name, for a stored assessment)." })
  async policyName(@Root() e: LateFeeExplanation, @Ctx() ctx: GraphQLContext): Promise<string> {
    if (e.policyName) return e.policyName;
    return (await ctx.loaders.lateFeePolicy.load(e.policyId))?.name ?? '';
  }
}

@Resolver(() => LedgerEntry)
export class LedgerEntryLateFeeResolver {
  @FieldResolver(() => LateFeeAssessment, { nullable: true, description: 'For a late fee the engine charged: the assessment and its explanation.' })
  async lateFee(@Root() e: { id: string; kind: string }, @Ctx() ctx: GraphQLContext): Promise<LateFeeAssessment | null> {
    if (e.kind !== 'fee') return null;
    const row = await ctx.loaders.lateFeeByEntry.load(e.id);
    return row ? assessmentView(row) : null;
  }
}
