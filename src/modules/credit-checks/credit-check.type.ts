import { GraphQLDateTime, GraphQLJSON } from 'graphql-scalars';
import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Money } from '../accounts/account.type.js';
import { RiskRatingEnum } from '../debtors/debtor.type.js';

export enum CreditPurposeEnum {
  COLLECTION = 'collection',
  ACCOUNT_REVIEW = 'account_review',
  CREDIT_APPLICATION = 'credit_application',
  WRITTEN_INSTRUCTION = 'written_instruction',
}
registerEnumType(CreditPurposeEnum, {
  name: 'CreditPurpose',
  description:
    'Permissible purpose (FCRA §604 and its equivalents). COLLECTION: collecting an existing account; ACCOUNT_REVIEW: reviewing an existing account; CREDIT_APPLICATION and WRITTEN_INSTRUCTION need the consumer’s consent reference.',
});

export enum PullTypeEnum {
  SOFT = 'soft',
  HARD = 'hard',
}
registerEnumType(PullTypeEnum, { name: 'PullType', description: 'HARD inquiries show on the consumer’s file and need a consent reference.' });

export enum CreditCheckStatusEnum {
  PENDING = 'pending',
  COMPLETED = 'completed',
  FAILED = 'failed',
  REUSED = 'reused',
}
registerEnumType(CreditCheckStatusEnum, { name: 'CreditCheckStatus', description: 'REUSED: a report from the reuse window answered; nothing was paid.' });

export enum BureauProviderEnum {
  SANDBOX = 'sandbox',
  HTTP_JSON = 'http_json',
}
registerEnumType(BureauProviderEnum, { name: 'BureauProvider', description: 'SANDBOX: deterministic test bureau. HTTP_JSON: any bureau answering JSON over HTTPS, with a field mapping.' });

export enum ScoreBandEnum {
  EXCELLENT = 'excellent',
  GOOD = 'good',
  FAIR = 'fair',
  POOR = 'poor',
  VERY_POOR = 'very_poor',
  UNSCORED = 'unscored',
}
registerEnumType(ScoreBandEnum, { name: 'ScoreBand', description: 'On the 300–850 scale: ≥750, 700–749, 650–699, 550–649, <550; UNSCORED without a score.' });

@ObjectType()
@InputType('FieldMappingInput')
export class FieldMappingType {
  @Field(() => String, { nullable: true }) score?: string | null;
  @Field(() => String, { nullable: true }) scoreModel?: string | null;
  @Field(() => String, { nullable: true }) delinquencies?: string | null;
  @Field(() => String, { nullable: true }) tradelines?: string | null;
  @Field(() => String, { nullable: true }) publicRecords?: string | null;
  @Field(() => String, { nullable: true }) inquiries?: string | null;
  @Field(() => String, { nullable: true }) noHit?: string | null;
  @Field(() => String, { nullable: true }) fraudAlert?: string | null;
}

@ObjectType({ description: 'A bureau integration. Its credential is stored encrypted and never shown.' })
export class CreditBureau {
  @Field(() => ID) id!: string;
  @Field(() => Int) version!: number;
  @Field(() => String) name!: string;
  @Field(() => BureauProviderEnum) provider!: BureauProviderEnum;
  @Field(() => String, { nullable: true }) baseUrl!: string | null;
  @Field(() => Boolean) hasCredential!: boolean;
  @Field(() => String, { nullable: true }) subscriberCode!: string | null;
  @Field(() => Int) timeoutMs!: number;
  @Field(() => Int) maxRetries!: number;
  @Field(() => FieldMappingType) fieldMapping!: FieldMappingType;
  @Field(() => Money) costPerPull!: Money;
  @Field(() => Boolean) active!: boolean;
  @Field(() => String, { description: 'closed, open or half_open: whether this process is calling the bureau.' }) circuit!: string;
}

@InputType()
export class CreditBureauInput {
  @Field(() => String) name!: string;
  @Field(() => BureauProviderEnum) provider!: BureauProviderEnum;
  @Field(() => String, { nullable: true, description: 'HTTP_JSON: the endpoint URL (https).' }) baseUrl?: string | null;
  @Field(() => String, { nullable: true, description: 'Sent as a bearer token; stored encrypted. "" removes it; absent keeps it.' }) credential?: string | null;
  @Field(() => String, { nullable: true }) subscriberCode?: string | null;
  @Field(() => Int, { nullable: true, description: '100–60000, default 10000' }) timeoutMs?: number | null;
  @Field(() => Int, { nullable: true, description: '0–5, default 2: retries for 5xx, 429 and network errors only' }) maxRetries?: number | null;
  @Field(() => FieldMappingType, { nullable: true, description: 'Dot paths into the bureau’s JSON.' }) fieldMapping?: FieldMappingType | null;
  @Field(() => String, { nullable: true, description: 'Minor units' }) costPerPull?: string | null;
  @Field(() => String, { nullable: true }) costCurrency?: string | null;
  @Field(() => Boolean, { nullable: true }) active?: boolean | null;
}

@ObjectType()
@InputType('StrategyRuleInput')
export class StrategyRuleType {
  @Field(() => [String], { nullable: true, description: 'low, medium, high, critical' }) riskRatings?: string[] | null;
  @Field(() => [String], { nullable: true, description: 'excellent, good, fair, poor, very_poor, unscored' }) scoreBands?: string[] | null;
  @Field(() => Boolean, { nullable: true }) fraudAlert?: boolean | null;
  @Field(() => Int, { nullable: true }) minPublicRecords?: number | null;
  @Field(() => String, { description: 'self_service, standard, early_escalation, legal_review, verify_identity or manual_review' }) strategy!: string;
  @Field(() => String, { nullable: true }) note?: string | null;
}

@ObjectType()
export class CreditSettings {
  @Field(() => Int, { description: 'A report younger than this is returned instead of paying again (unless force).' }) reuseWindowDays!: number;
  @Field(() => Int, { description: 'Reports expire after this; their raw payload is then purged.' }) retentionDays!: number;
  @Field(() => [StrategyRuleType], { description: 'First match wins; the defaults until set.' }) strategyRules!: StrategyRuleType[];
  @Field(() => Int) version!: number;
}

@InputType()
export class CreditSettingsInput {
  @Field(() => Int) reuseWindowDays!: number;
  @Field(() => Int) retentionDays!: number;
  @Field(() => [StrategyRuleType], { nullable: true, description: 'Absent: the defaults.' }) strategyRules?: StrategyRuleType[] | null;
}

@ObjectType()
export class SuggestedStrategy {
  @Field(() => String) strategy!: string;
  @Field(() => String, { nullable: true }) note!: string | null;
}

@ObjectType({ description: 'A normalised credit report. The bureau’s raw answer is stored encrypted: readCreditReportPayload.' })
export class CreditReport {
  @Field(() => ID) id!: string;
  @Field(() => ID) debtorId!: string;
  @Field(() => GraphQLDateTime) pulledAt!: Date;
  @Field(() => GraphQLDateTime) expiresAt!: Date;
  @Field(() => Boolean) noHit!: boolean;
  @Field(() => Boolean) thinFile!: boolean;
  @Field(() => Boolean) fraudAlert!: boolean;
  @Field(() => Int, { nullable: true }) score!: number | null;
  @Field(() => String, { nullable: true }) scoreModel!: string | null;
  @Field(() => ScoreBandEnum) scoreBand!: ScoreBandEnum;
  @Field(() => RiskRatingEnum) riskRating!: RiskRatingEnum;
  @Field(() => Int) delinquencies!: number;
  @Field(() => Int) tradelines!: number;
  @Field(() => Int) publicRecords!: number;
  @Field(() => Int) inquiries!: number;
  @Field(() => Boolean, { description: 'The raw payload was purged at expiry.' }) purged!: boolean;
}

@ObjectType()
export class CreditCheck {
  @Field(() => ID) id!: string;
  @Field(() => ID) debtorId!: string;
  @Field(() => ID) bureauId!: string;
  @Field(() => CreditPurposeEnum) purpose!: CreditPurposeEnum;
  @Field(() => PullTypeEnum) pullType!: PullTypeEnum;
  @Field(() => String, { nullable: true }) consentReference!: string | null;
  @Field(() => CreditCheckStatusEnum) status!: CreditCheckStatusEnum;
  @Field(() => String, { nullable: true, description: 'timeout, network, http_5xx, rate_limited, http_4xx, malformed, not_json, too_large, bureau_error, circuit_open or abandoned' }) failureCode!: string | null;
  @Field(() => String, { nullable: true }) failureReason!: string | null;
  @Field(() => Int) attempts!: number;
  @Field(() => Money, { description: 'What the bureau charges for this pull (zero when reused or failed).' }) cost!: Money;
  @Field(() => GraphQLDateTime) requestedAt!: Date;
  @Field(() => GraphQLDateTime, { nullable: true }) completedAt!: Date | null;
}

@InputType()
export class RequestCreditCheckInput {
  @Field(() => ID) debtorId!: string;
  @Field(() => CreditPurposeEnum) purpose!: CreditPurposeEnum;
  @Field(() => PullTypeEnum) pullType!: PullTypeEnum;
  @Field(() => String, { nullable: true, description: 'Required for HARD pulls and consent purposes.' }) consentReference?: string | null;
  @Field(() => ID, { nullable: true, description: 'Default: the oldest active bureau.' }) bureauId?: string | null;
  @Field(() => Boolean, { nullable: true, description: 'Pull again even inside the reuse window.' }) force?: boolean | null;
}

@ObjectType()
export class CreditReportPayload {
  @Field(() => CreditReport) report!: CreditReport;
  @Field(() => GraphQLJSON, { nullable: true, description: 'The bureau’s own answer; null once purged.' }) payload!: unknown;
}

@ObjectType()
export class RiskRatingChange {
  @Field(() => RiskRatingEnum) riskRating!: RiskRatingEnum;
  @Field(() => RiskRatingEnum, { nullable: true }) previousRating!: RiskRatingEnum | null;
  @Field(() => ScoreBandEnum) scoreBand!: ScoreBandEnum;
  @Field(() => Int, { nullable: true }) score!: number | null;
  @Field(() => ID) reportId!: string;
  @Field(() => GraphQLDateTime) at!: Date;
}

@ObjectType()
export class CreditUsage {
  @Field(() => CreditBureau) bureau!: CreditBureau;
  @Field(() => Int, { description: 'Completed pulls: what the bureau bills and the plan meters.' }) pulls!: number;
  @Field(() => Int) failed!: number;
  @Field(() => Int) reused!: number;
  @Field(() => Money) cost!: Money;
}
