import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { tenantActor, type GraphQLContext } from '../../graphql/context.js';
import { decodeCursor, encodeCursor, pageInfo, pageSize } from '../../graphql/pagination.js';
import { Debtor } from '../debtors/debtor.type.js';
import type { DebtorRow } from '../debtors/debtor.repository.js';
import { CONTACT_PRESETS } from './contact-rules.presets.js';
import type { ContactRow } from './contact.repository.js';
import { contactView, eligibilityView, preferenceView, rulesView, tenantRulesView } from './compliance.view.js';
import {
  ContactAttempt,
  ContactAttemptConnection,
  ContactChannelEnum,
  ContactEligibility,
  ContactFilterInput,
  ContactPreference,
  ContactRulesOverview,
  EffectiveContactRules,
  LogContactInput,
  LogContactPayload,
  SetContactPreferenceInput,
  SetContactRulesInput,
  TenantContactRules,
} from './contact.type.js';

const CONTACT_ORDER = 'contact_id_desc';

@Resolver(() => ContactAttempt)
export class ContactResolver {
  @Authorized('read')
  @Query(() => ContactEligibility, {
    description: "Whether an outbound contact on `channel` is allowed at `at` (default: now), with every reason it is not, judged on the debtor's local clock.",
  })
  async contactEligibility(
    @Ctx() ctx: GraphQLContext,
    @Arg('debtorId', () => ID) debtorId: string,
    @Arg('accountId', () => ID) accountId: string,
    @Arg('channel', () => ContactChannelEnum) channel: ContactChannelEnum,
    @Arg('at', () => String, { nullable: true, description: 'RFC 3339 with an offset.' }) at: string | null,
  ): Promise<ContactEligibility> {
    return eligibilityView(await ctx.services.contacts.eligibility(tenantActor(ctx, 'contacts:write'), { debtorId, accountId, channel, at }));
  }

  @Authorized('write')
  @Mutation(() => LogContactPayload, {
    description: 'Records a contact. An OUTBOUND one is refused with COMPLIANCE_BLOCKED (reason codes in extensions) when the guard blocks it; the refusal is audited and no contact is written.',
  })
  async logContact(@Ctx() ctx: GraphQLContext, @Arg('input', () => LogContactInput) input: LogContactInput): Promise<LogContactPayload> {
    const r = await ctx.services.contacts.log(tenantActor(ctx, 'contacts:write'), input);
    return { contact: contactView(r.contact), eligibility: r.judgement ? eligibilityView(r.judgement) : null };
  }

  @Authorized('read')
  @Query(() => ContactAttempt)
  async contactAttempt(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<ContactAttempt> {
    return contactView(await ctx.services.contacts.get(tenantActor(ctx, 'accounts:read'), id));
  }

  @Authorized('read')
  @Query(() => ContactAttemptConnection, { description: 'The communications log, newest first.' })
  async contactAttempts(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('filter', () => ContactFilterInput, { nullable: true }) filter: ContactFilterInput | null,
  ): Promise<ContactAttemptConnection> {
    const size = pageSize(first);
    const cursor = decodeCursor(after, CONTACT_ORDER);
    const page = await ctx.services.contacts.list(tenantActor(ctx, 'accounts:read'), { ...filter }, size, cursor?.id ?? null);
    const cursorOf = (r: ContactRow) => encodeCursor(CONTACT_ORDER, '', r.id);
    return { edges: page.rows.map((r) => ({ cursor: cursorOf(r), node: contactView(r) })), pageInfo: pageInfo(page.rows, page.hasNextPage, cursorOf) };
  }

  @Authorized('write')
  @Mutation(() => ContactPreference, { description: "Records a debtor's consent to a channel, or an opt-out. The latest per channel decides; the history is kept." })
  async setContactPreference(@Ctx() ctx: GraphQLContext, @Arg('input', () => SetContactPreferenceInput) input: SetContactPreferenceInput): Promise<ContactPreference> {
    return preferenceView(await ctx.services.contacts.setPreference(tenantActor(ctx, 'contacts:write'), input));
  }

  @Authorized('read')
  @Query(() => ContactRulesOverview, { description: "The legal presets and the tenant's stricter rules." })
  async contactRules(@Ctx() ctx: GraphQLContext): Promise<ContactRulesOverview> {
    const rows = await ctx.services.contacts.rules(tenantActor(ctx));
    return { presets: CONTACT_PRESETS.map((p) => ({ code: p.code, name: p.name, source: p.source, rules: rulesView(p.rules) })), tenantRules: rows.map(tenantRulesView) };
  }

  @Authorized('read')
  @Query(() => EffectiveContactRules, { description: "The rules the guard applies to debtors in a jurisdiction ('*' for those without a preset)." })
  async effectiveContactRules(@Ctx() ctx: GraphQLContext, @Arg('jurisdiction', () => String) jurisdiction: string): Promise<EffectiveContactRules> {
    const r = await ctx.services.contacts.effectiveRules(tenantActor(ctx, 'contacts:write'), jurisdiction);
    return { jurisdiction: r.jurisdiction, rules: rulesView(r.rules) };
  }

  @Authorized('admin')
  @Mutation(() => TenantContactRules, { description: "Sets the tenant's contact rules for a jurisdiction: stricter than its preset, never looser (a looser value is BAD_USER_INPUT naming the field)." })
  async setContactRules(@Ctx() ctx: GraphQLContext, @Arg('input', () => SetContactRulesInput) input: SetContactRulesInput): Promise<TenantContactRules> {
    return tenantRulesView(await ctx.services.contacts.setRules(tenantActor(ctx), input));
  }
}

@Resolver(() => Debtor)
export class DebtorContactPreferencesResolver {
  @FieldResolver(() => [ContactPreference], { description: 'The latest consent or opt-out per channel.' })
  async contactPreferences(@Ctx() ctx: GraphQLContext, @Root() d: DebtorRow): Promise<ContactPreference[]> {
    return (await ctx.loaders.contactPreferences.load(d.id)).map(preferenceView);
  }
}
