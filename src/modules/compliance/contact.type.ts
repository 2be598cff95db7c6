import { GraphQLDateTime } from 'graphql-scalars';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { MaxLength } from 'class-validator';
import { PageInfo } from '../../graphql/pagination.js';
import { LocalDateScalar } from '../../graphql/scalars.js';

export enum ContactChannelEnum {
  CALL = 'call',
  SMS = 'sms',
  EMAIL = 'email',
  LETTER = 'letter',
  VISIT = 'visit',
  LEGAL_NOTICE = 'legal_notice',
}
registerEnumType(ContactChannelEnum, { name: 'ContactChannel' });

export enum ContactDirectionEnum {
  OUTBOUND = 'outbound',
  INBOUND = 'inbound',
}
registerEnumType(ContactDirectionEnum, { name: 'ContactDirection', description: 'OUTBOUND contacts are guarded; INBOUND (the debtor called or wrote) are recorded as they happened.' });

export enum ContactOutcomeEnum {
  NO_ANSWER = 'no_answer',
  LEFT_MESSAGE = 'left_message',
  RIGHT_PARTY_CONTACT = 'right_party_contact',
  WRONG_NUMBER = 'wrong_number',
  PROMISE_MADE = 'promise_made',
  REFUSED = 'refused',
  DISPUTE_RAISED = 'dispute_raised',
  SENT = 'sent',
  UNDELIVERABLE = 'undeliverable',
}
registerEnumType(ContactOutcomeEnum, {
  name: 'ContactOutcome',
  description: 'On a call, RIGHT_PARTY_CONTACT, PROMISE_MADE, REFUSED and DISPUTE_RAISED are conversations: no further call for the quiet period. SENT/UNDELIVERABLE suit letters, SMS and email.',
});

export enum ContactBlockCodeEnum {
  OUTSIDE_CONTACT_WINDOW = 'OUTSIDE_CONTACT_WINDOW',
  BLOCKED_WEEKDAY = 'BLOCKED_WEEKDAY',
  FREQUENCY_CAP_REACHED = 'FREQUENCY_CAP_REACHED',
  RECENT_CONVERSATION = 'RECENT_CONVERSATION',
  CEASE_COMMUNICATION = 'CEASE_COMMUNICATION',
  DEBTOR_DECEASED = 'DEBTOR_DECEASED',
  DEBTOR_BANKRUPT = 'DEBTOR_BANKRUPT',
  OPEN_DISPUTE = 'OPEN_DISPUTE',
  NO_CONSENT = 'NO_CONSENT',
  OPTED_OUT = 'OPTED_OUT',
  NOT_IN_COLLECTION = 'NOT_IN_COLLECTION',
}
registerEnumType(ContactBlockCodeEnum, { name: 'ContactBlockCode' });

export enum ContactWarningEnum {
  TIME_ZONE_FALLBACK = 'TIME_ZONE_FALLBACK',
  JURISDICTION_DEFAULT = 'JURISDICTION_DEFAULT',
  DEBTOR_VULNERABLE = 'DEBTOR_VULNERABLE',
}
registerEnumType(ContactWarningEnum, {
  name: 'ContactWarning',
  description: "TIME_ZONE_FALLBACK: the debtor has no time zone, the tenant's was used. JURISDICTION_DEFAULT: no preset for the debtor's country (or no address), the platform default applied. DEBTOR_VULNERABLE: the debtor is flagged vulnerable.",
});

export enum ConsentStateEnum {
  GRANTED = 'granted',
  OPTED_OUT = 'opted_out',
}
registerEnumType(ConsentStateEnum, { name: 'ConsentState', description: 'SMS and email need GRANTED on record; any channel can be OPTED_OUT of.' });

export enum TimeZoneSourceEnum {
  DEBTOR = 'debtor',
  TENANT = 'tenant',
}
registerEnumType(TimeZoneSourceEnum, { name: 'TimeZoneSource' });

@ObjectType({ description: 'One entry of the communications log (催收记录): append-only.' })
export class ContactAttempt {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  debtorId!: string;

  @Field(() => ID)
  accountId!: string;

  @Field(() => ContactChannelEnum)
  channel!: ContactChannelEnum;

  @Field(() => ContactDirectionEnum)
  direction!: ContactDirectionEnum;

  @Field(() => ContactOutcomeEnum)
  outcome!: ContactOutcomeEnum;

  @Field(() => GraphQLDateTime)
  occurredAt!: Date;

  @Field(() => String, { nullable: true, description: "The debtor's local time (HH:MM) the guard judged an outbound contact at; null for inbound." })
  debtorLocalTime!: string | null;

  @Field(() => String, { nullable: true })
  timeZone!: string | null;

  @Field(() => String, { nullable: true, description: 'Who made the contact, as the caller named them.' })
  collector!: string | null;

  @Field(() => ID, { nullable: true, description: 'The agency that logged it.' })
  agencyId!: string | null;

  @Field(() => String, { nullable: true })
  notes!: string | null;

  @Field(() => ID, { nullable: true })
  promiseId!: string | null;

  @Field(() => ID, { nullable: true })
  planId!: string | null;

  @Field(() => [ContactBlockCodeEnum], { description: 'Blocks an admin overrode to log it (empty normally).' })
  overriddenCodes!: ContactBlockCodeEnum[];

  @Field(() => String, { nullable: true })
  overrideReason!: string | null;

  @Field(() => String)
  actorKind!: string;

  @Field(() => GraphQLDateTime)
  createdAt!: Date;
}

@ObjectType()
export class ContactAttemptEdge {
  @Field(() => String)
  cursor!: string;

  @Field(() => ContactAttempt)
  node!: ContactAttempt;
}

@ObjectType()
export class ContactAttemptConnection {
  @Field(() => [ContactAttemptEdge])
  edges!: ContactAttemptEdge[];

  @Field(() => PageInfo)
  pageInfo!: PageInfo;
}

@ObjectType()
export class ContactBlock {
  @Field(() => ContactBlockCodeEnum)
  code!: ContactBlockCodeEnum;

  @Field(() => String)
  message!: string;

  @Field(() => Boolean, { description: 'Whether an admin may log the contact anyway with overrideReason (audited).' })
  overridable!: boolean;
}

@ObjectType()
export class FrequencyCapView {
  @Field(() => ContactChannelEnum)
  channel!: ContactChannelEnum;

  @Field(() => Int, { description: 'Outbound attempts allowed…' })
  max!: number;

  @Field(() => Int, { description: '…within this many consecutive local calendar days.' })
  days!: number;
}

@ObjectType()
export class ContactRulesView {
  @Field(() => String, { description: 'Local time HH:MM, inclusive.' })
  windowStart!: string;

  @Field(() => String, { description: 'Local time HH:MM, exclusive.' })
  windowEnd!: string;

  @Field(() => [Int], { description: 'ISO weekdays (1 = Monday … 7 = Sunday) with no outbound contact.' })
  blockedWeekdays!: number[];

  @Field(() => [FrequencyCapView])
  caps!: FrequencyCapView[];

  @Field(() => Int, { description: "No calls for this many days after a telephone conversation (its day counts as the first)." })
  quietDaysAfterConversation!: number;
}

@ObjectType()
export class ContactEligibility {
  @Field(() => Boolean)
  allowed!: boolean;

  @Field(() => [ContactBlock], { description: 'Every reason it is not allowed.' })
  blocks!: ContactBlock[];

  @Field(() => [ContactWarningEnum])
  warnings!: ContactWarningEnum[];

  @Field(() => LocalDateScalar)
  localDate!: string;

  @Field(() => String, { description: "The debtor's wall-clock time, HH:MM." })
  localTime!: string;

  @Field(() => String)
  timeZone!: string;

  @Field(() => TimeZoneSourceEnum)
  timeZoneSource!: TimeZoneSourceEnum;

  @Field(() => String, { description: "The jurisdiction whose preset applied (ISO country, or '*')." })
  jurisdiction!: string;

  @Field(() => Int, { nullable: true, description: 'Outbound attempts on the channel in the cap period ending that local day; null when the channel is uncapped.' })
  attemptsInPeriod!: number | null;

  @Field(() => GraphQLDateTime, { nullable: true, description: 'When every time-based block will have lifted; null when allowed, or when a block is not time-based.' })
  nextAllowedAt!: Date | null;

  @Field(() => ContactRulesView, { description: 'The effective rules: the preset made stricter by the tenant.' })
  rules!: ContactRulesView;
}

@ObjectType()
export class LogContactPayload {
  @Field(() => ContactAttempt)
  contact!: ContactAttempt;

  @Field(() => ContactEligibility, { nullable: true, description: 'How the guard judged it (null for inbound contacts).' })
  eligibility!: ContactEligibility | null;
}

@ObjectType()
export class ContactRulesPresetView {
  @Field(() => String)
  code!: string;

  @Field(() => String)
  name!: string;

  @Field(() => String, { description: 'The law or rule it comes from.' })
  source!: string;

  @Field(() => ContactRulesView)
  rules!: ContactRulesView;
}

@ObjectType()
export class TenantContactRules {
  @Field(() => ID)
  id!: string;

  @Field(() => String)
  jurisdiction!: string;

  @Field(() => Int)
  version!: number;

  @Field(() => ContactRulesView)
  rules!: ContactRulesView;

  @Field(() => GraphQLDateTime)
  updatedAt!: Date;
}

@ObjectType()
export class ContactRulesOverview {
  @Field(() => [ContactRulesPresetView], { description: 'The legal floors shipped with the platform.' })
  presets!: ContactRulesPresetView[];

  @Field(() => [TenantContactRules], { description: "The tenant's stricter rules, per jurisdiction ('*': every debtor)." })
  tenantRules!: TenantContactRules[];
}

@ObjectType()
export class EffectiveContactRules {
  @Field(() => String)
  jurisdiction!: string;

  @Field(() => ContactRulesView)
  rules!: ContactRulesView;
}

@ObjectType()
export class ContactPreference {
  @Field(() => ID)
  debtorId!: string;

  @Field(() => ContactChannelEnum)
  channel!: ContactChannelEnum;

  @Field(() => ConsentStateEnum)
  state!: ConsentStateEnum;

  @Field(() => String)
  source!: string;

  @Field(() => String)
  actorKind!: string;

  @Field(() => GraphQLDateTime)
  recordedAt!: Date;
}

@InputType()
export class LogContactInput {
  @Field(() => ID)
  accountId!: string;

  @Field(() => ContactChannelEnum)
  channel!: ContactChannelEnum;

  @Field(() => ContactDirectionEnum)
  direction!: ContactDirectionEnum;

  @Field(() => ContactOutcomeEnum)
  outcome!: ContactOutcomeEnum;

  @Field(() => String, { description: 'RFC 3339 with an offset (Z or ±hh:mm); a local time alone is refused.' })
  @MaxLength(64)
  occurredAt!: string;

  @Field(() => String, { nullable: true })
  @MaxLength(1000)
  collector?: string | null;

  @Field(() => String, { nullable: true })
  @MaxLength(20000)
  notes?: string | null;

  @Field(() => ID, { nullable: true })
  promiseId?: string | null;

  @Field(() => ID, { nullable: true })
  planId?: string | null;

  @Field(() => String, { nullable: true, description: 'Admin keys only: log despite overridable blocks, for this reason (audited). Non-overridable blocks still refuse.' })
  @MaxLength(2000)
  overrideReason?: string | null;
}

@InputType()
export class ContactFilterInput {
  @Field(() => ID, { nullable: true })
  debtorId?: string | null;

  @Field(() => ID, { nullable: true })
  accountId?: string | null;

  @Field(() => ContactChannelEnum, { nullable: true })
  channel?: ContactChannelEnum | null;
}

@InputType()
export class SetContactPreferenceInput {
  @Field(() => ID)
  debtorId!: string;

  @Field(() => ContactChannelEnum)
  channel!: ContactChannelEnum;

  @Field(() => ConsentStateEnum)
  state!: ConsentStateEnum;

  @Field(() => String, { description: 'Where it came from: "call 2026-03-02, recorded", "web form", …' })
  @MaxLength(2000)
  source!: string;
}

@InputType()
export class FrequencyCapInput {
  @Field(() => ContactChannelEnum)
  channel!: ContactChannelEnum;

  @Field(() => Int)
  max!: number;

  @Field(() => Int)
  days!: number;
}

@InputType()
export class ContactRulesInput {
  @Field(() => String, { description: 'HH:MM local, inclusive.' })
  @MaxLength(16)
  windowStart!: string;

  @Field(() => String, { description: 'HH:MM local, exclusive.' })
  @MaxLength(16)
  windowEnd!: string;

  @Field(() => [Int], { nullable: true })
  blockedWeekdays?: number[] | null;

  @Field(() => [FrequencyCapInput])
  caps!: FrequencyCapInput[];

  @Field(() => Int)
  quietDaysAfterConversation!: number;
}

@InputType()
export class SetContactRulesInput {
  @Field(() => String, { description: "ISO 3166-1 alpha-2, or '*' for every debtor." })
  @MaxLength(8)
  jurisdiction!: string;

  @Field(() => Int, { nullable: true, description: 'The version you read (0 when there was no row): a stale one is CONFLICT.' })
  expectedVersion?: number | null;

  @Field(() => ContactRulesInput)
  rules!: ContactRulesInput;
}
