import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Services } from '../services.js';
import { addDays } from '../shared/dates.js';
import type { DebtorFields } from '../modules/debtors/debtor.model.js';
import type { Actor, TenantActor } from '../modules/tenancy/principal.js';
import { SCOPES } from '../modules/tenancy/principal.js';

interface Person {
  name: string;
  display?: string;
  phone: string;
  email?: string;
  tz: string;
  lang: string;
  country: string;
  city: string;
  line1: string;
  kind?: 'person' | 'business';
}

// Realistic, fictional people and firms across the markets Arrears serves; numbers are valid per numbering plan.
const PEOPLE: Person[] = [
  { name: '王伟', phone: '+8613800138001', tz: 'Asia/Shanghai', lang: 'zh-CN', country: 'CN', city: '北京市', line1: '朝阳区建国路88号' },
  { name: '李娜', phone: '+8613911112222', email: 'li.na@example.cn', tz: 'Asia/Shanghai', lang: 'zh-CN', country: 'CN', city: '上海市', line1: '浦东新区世纪大道100号' },
  { name: '张敏', phone: '+8615012345678', tz: 'Asia/Shanghai', lang: 'zh-CN', country: 'CN', city: '广州市', line1: '天河区体育西路1号' },
  { name: '刘洋', phone: '+8618612345678', email: 'liuyang@example.cn', tz: 'Asia/Shanghai', lang: 'zh-CN', country: 'CN', city: '深圳市', line1: '南山区科技园' },
  { name: '陈静', phone: '+8613712345678', tz: 'Asia/Shanghai', lang: 'zh-CN', country: 'CN', city: '杭州市', line1: '西湖区文三路' },
  { name: '杨帆', phone: '+8613612345678', tz: 'Asia/Shanghai', lang: 'zh-CN', country: 'CN', city: '成都市', line1: '锦江区春熙路' },
  { name: '赵磊', phone: '+8613512345678', tz: 'Asia/Shanghai', lang: 'zh-CN', country: 'CN', city: '武汉市', line1: '江汉区解放大道' },
  { name: '黄丽', phone: '+8613412345678', tz: 'Asia/Shanghai', lang: 'zh-CN', country: 'CN', city: '南京市', line1: '鼓楼区中山路' },
  { name: '周杰', phone: '+8613312345678', tz: 'Asia/Shanghai', lang: 'zh-CN', country: 'CN', city: '西安市', line1: '雁塔区小寨路' },
  { name: '吴芳', phone: '+8613212345678', tz: 'Asia/Shanghai', lang: 'zh-CN', country: 'CN', city: '重庆市', line1: '渝中区解放碑' },
  { name: '陈大文', display: 'Chan Tai-man', phone: '+85291234567', tz: 'Asia/Hong_Kong', lang: 'zh-HK', country: 'HK', city: 'Hong Kong', line1: '88 Queensway' },
  { name: '林志明', phone: '+886912345678', tz: 'Asia/Taipei', lang: 'zh-TW', country: 'TW', city: '台北市', line1: '信義區市府路45號' },
  { name: '佐藤 健', phone: '+819012345678', tz: 'Asia/Tokyo', lang: 'ja-JP', country: 'JP', city: '東京都', line1: '千代田区丸の内1-1' },
  { name: '김민준', phone: '+821012345678', tz: 'Asia/Seoul', lang: 'ko-KR', country: 'KR', city: '서울', line1: '중구 세종대로 110' },
  { name: 'Tan Wei Ming', phone: '+6591234567', email: 'weiming.tan@example.sg', tz: 'Asia/Singapore', lang: 'en-SG', country: 'SG', city: 'Singapore', line1: '1 Raffles Place' },
  { name: 'Nguyễn Văn An', phone: '+84912345678', tz: 'Asia/Ho_Chi_Minh', lang: 'vi-VN', country: 'VN', city: 'Hà Nội', line1: '12 Tràng Tiền' },
  { name: 'Priya Sharma', phone: '+919812345678', email: 'priya.sharma@example.in', tz: 'Asia/Kolkata', lang: 'en-IN', country: 'IN', city: 'Mumbai', line1: '21 Marine Drive' },
  { name: 'Olivia Smith', phone: '+447911123456', email: 'olivia.smith@example.co.uk', tz: 'Europe/London', lang: 'en-GB', country: 'GB', city: 'London', line1: '10 Baker Street' },
  { name: 'Liam O\'Brien', phone: '+353851234567', tz: 'Europe/Dublin', lang: 'en-IE', country: 'IE', city: 'Dublin', line1: '5 Grafton Street' },
  { name: 'Léa Dubois', phone: '+33612345678', email: 'lea.dubois@example.fr', tz: 'Europe/Paris', lang: 'fr-FR', country: 'FR', city: 'Lyon', line1: '3 Rue de la République' },
  { name: 'Jürgen Müller', phone: '+4915123456789', tz: 'Europe/Berlin', lang: 'de-DE', country: 'DE', city: 'München', line1: 'Leopoldstraße 7' },
  { name: 'José Álvarez', phone: '+34612345678', email: 'jose.alvarez@example.es', tz: 'Europe/Madrid', lang: 'es-ES', country: 'ES', city: 'Sevilla', line1: 'Calle Sierpes 12' },
  { name: 'Giulia Rossi', phone: '+393123456789', tz: 'Europe/Rome', lang: 'it-IT', country: 'IT', city: 'Milano', line1: 'Via Dante 4' },
  { name: 'Søren Nielsen', phone: '+4520123456', tz: 'Europe/Copenhagen', lang: 'da-DK', country: 'DK', city: 'København', line1: 'Strøget 9' },
  { name: 'Zofia Kowalska', phone: '+48512345678', tz: 'Europe/Warsaw', lang: 'pl-PL', country: 'PL', city: 'Kraków', line1: 'ul. Floriańska 15' },
  { name: 'James Johnson', phone: '+12015550123', email: 'james.johnson@example.com', tz: 'America/New_York', lang: 'en-US', country: 'US', city: 'Newark', line1: '100 Broad St' },
  { name: 'Maria Garcia', phone: '+13105550147', email: 'maria.garcia@example.com', tz: 'America/Los_Angeles', lang: 'es-US', country: 'US', city: 'Los Angeles', line1: '742 Sunset Blvd' },
  { name: 'Robert Williams', phone: '+13125550188', tz: 'America/Chicago', lang: 'en-US', country: 'US', city: 'Chicago', line1: '233 S Wacker Dr' },
  { name: 'Emily Brown', phone: '+17205550111', email: 'emily.brown@example.com', tz: 'America/Denver', lang: 'en-US', country: 'US', city: 'Denver', line1: '1600 Glenarm Pl' },
  { name: 'Michael Davis', phone: '+12065550190', tz: 'America/Los_Angeles', lang: 'en-US', country: 'US', city: 'Seattle', line1: '400 Broad St' },
  { name: 'Sophie Tremblay', phone: '+15145550123', email: 'sophie.tremblay@example.ca', tz: 'America/Toronto', lang: 'fr-CA', country: 'CA', city: 'Montréal', line1: '1000 Rue Sherbrooke' },
  { name: 'Lucas Silva', phone: '+5511912345678', tz: 'America/Sao_Paulo', lang: 'pt-BR', country: 'BR', city: 'São Paulo', line1: 'Av. Paulista 1578' },
  { name: 'Valentina López', phone: '+525512345678', tz: 'America/Mexico_City', lang: 'es-MX', country: 'MX', city: 'Ciudad de México', line1: 'Paseo de la Reforma 222' },
  { name: 'Chloe Wilson', phone: '+61412345678', email: 'chloe.wilson@example.com.au', tz: 'Australia/Sydney', lang: 'en-AU', country: 'AU', city: 'Sydney', line1: '1 Martin Place' },
  { name: 'Aroha Ngata', phone: '+64211234567', tz: 'Pacific/Auckland', lang: 'en-NZ', country: 'NZ', city: 'Auckland', line1: '20 Queen Street' },
  { name: 'Ahmed Hassan', phone: '+201001234567', tz: 'Africa/Cairo', lang: 'ar-EG', country: 'EG', city: 'Cairo', line1: '15 Tahrir Square' },
  { name: 'Chinedu Okafor', phone: '+2348031234567', tz: 'Africa/Lagos', lang: 'en-NG', country: 'NG', city: 'Lagos', line1: '7 Broad Street' },
  { name: 'Thandiwe Dlamini', phone: '+27821234567', tz: 'Africa/Johannesburg', lang: 'en-ZA', country: 'ZA', city: 'Johannesburg', line1: '44 Main Street' },
  { name: 'Fatima Al-Sayed', phone: '+971501234567', tz: 'Asia/Dubai', lang: 'ar-AE', country: 'AE', city: 'Dubai', line1: 'Sheikh Zayed Road 1' },
  { name: 'Mehmet Yılmaz', phone: '+905321234567', tz: 'Europe/Istanbul', lang: 'tr-TR', country: 'TR', city: 'İstanbul', line1: 'İstiklal Caddesi 50' },
  { name: '孙浩', phone: '+8613112345678', tz: 'Asia/Shanghai', lang: 'zh-CN', country: 'CN', city: '天津市', line1: '和平区南京路' },
  { name: '马晓燕', phone: '+8615112345678', tz: 'Asia/Shanghai', lang: 'zh-CN', country: 'CN', city: '郑州市', line1: '金水区花园路' },
  { name: '郭建华', phone: '+8615212345678', tz: 'Asia/Shanghai', lang: 'zh-CN', country: 'CN', city: '长沙市', line1: '芙蓉区五一大道' },
  { name: '何秀英', phone: '+8615312345678', tz: 'Asia/Shanghai', lang: 'zh-CN', country: 'CN', city: '沈阳市', line1: '和平区中华路' },
  { name: '罗志强', phone: '+8615512345678', tz: 'Asia/Shanghai', lang: 'zh-CN', country: 'CN', city: '昆明市', line1: '五华区东风西路' },
  { name: '北京华信商贸有限公司', display: '华信商贸', phone: '+861065123456', email: 'finance@huaxin.example.cn', tz: 'Asia/Shanghai', lang: 'zh-CN', country: 'CN', city: '北京市', line1: '海淀区中关村大街1号', kind: 'business' },
  { name: '上海明远物流有限公司', display: '明远物流', phone: '+862150123456', tz: 'Asia/Shanghai', lang: 'zh-CN', country: 'CN', city: '上海市', line1: '闵行区虹桥路', kind: 'business' },
  { name: 'Northwind Traders LLC', display: 'Northwind', phone: '+12125550100', email: 'ap@northwind.example.com', tz: 'America/New_York', lang: 'en-US', country: 'US', city: 'New York', line1: '350 5th Ave', kind: 'business' },
  { name: 'Café Lumière SARL', phone: '+33142123456', tz: 'Europe/Paris', lang: 'fr-FR', country: 'FR', city: 'Paris', line1: '8 Rue de Rivoli', kind: 'business' },
  { name: 'Kiwi Build Ltd', phone: '+6493001234', tz: 'Pacific/Auckland', lang: 'en-NZ', country: 'NZ', city: 'Auckland', line1: '1 Customs Street', kind: 'business' },
];

const TAGS = [['retail'], ['sme'], ['card'], ['utility'], ['telecom'], ['priority'], ['retail', 'priority'], []];
const RISKS = ['low', 'medium', 'high', 'critical', null] as const;

export function demoDebtors(): DebtorFields[] {
  return PEOPLE.map((p, i) => ({
    kind: p.kind ?? 'person',
    legalName: p.name,
    displayName: p.display ?? null,
    externalRef: `DEMO-${String(1001 + i)}`,
    emails: p.email ? [{ value: p.email, label: 'personal' }] : [],
    phones: [{ value: p.phone, label: 'mobile' }],
    addresses: [{ line1: p.line1, city: p.city, country: p.country, label: 'home' }],
    preferredLanguage: p.lang,
    timeZone: p.tz,
    dateOfBirth: p.kind === 'business' ? null : `${1960 + ((i * 7) % 40)}-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + ((i * 3) % 28)).padStart(2, '0')}`,
    nationalId: p.kind === 'business' ? null : `DEMO${String(100000 + i * 7919).padStart(8, '0')}`,
    deceased: i === 7,
    bankrupt: i === 12,
    ceaseCommunication: i === 17,
    vulnerable: i % 11 === 3,
    tags: TAGS[i % TAGS.length]!,
    notes: i % 5 === 0 ? 'Prefers contact in the evening, local time.' : null,
    riskRating: RISKS[i % RISKS.length]!,
  }));
}

const PRODUCTS = ['credit_card', 'loan', 'utility', 'telecom', 'invoice'] as const;

/**
 * One CNY portfolio with an account per debtor, due dates spread over the last year so every bucket has
 * accounts, some partly paid, a 90-days rule, a late-fee policy with one accrual run, and one
 * refresh/evaluation, so the dashboard queries show data.
 */
async function seedAccounts(services: Services, actor: TenantActor, debtorIds: string[]): Promise<string> {
  const portfolio = await services.portfolios.create(actor, { name: 'Demo placements 2026', currency: 'CNY', description: 'Seeded demo accounts' });
  const today = await services.accounts.tenantToday(actor);
  for (const [i, debtorId] of debtorIds.entries()) {
    const dueOn = addDays(today, -((i * 37) % 400));
    const principal = 50_000n + BigInt((i * 7919) % 20) * 25_000n; // 500.00 to 5,250.00 CNY
    const { account } = await services.accounts.create(actor, {
      debtorId,
      portfolioId: portfolio.id,
      externalRef: `DEMO-ACC-${String(5001 + i)}`,
      productType: PRODUCTS[i % PRODUCTS.length]!,
      currency: 'CNY',
      originalPrincipal: principal.toString(),
      openingFees: i % 3 === 0 ? '5000' : null,
      openedOn: addDays(dueOn, -180),
      dueOn,
    });
    if (i % 4 === 1 && dueOn < today) {
      await services.accounts.post(actor, { accountId: account.id, kind: 'payment', amount: (principal / 4n).toString(), currency: 'CNY', effectiveOn: today, memo: 'demo payment', idempotencyKey: `demo-pay-${account.id}` });
    }
  }
  await services.alerts.createRule(actor, { name: '90+ days past due', metric: 'days_past_due', threshold: '90' });
  // A tenant-wide late-fee policy held to China's private-lending ceiling, and a first accrual run.
  const policy = await services.lateFees.createPolicy(actor, {
    name: 'Standard late fee',
    currency: 'CNY',
    graceDays: 5,
    frequency: 'monthly',
    flat: { tiers: [{ fromDay: 1, toDay: 30, amount: '2000' }, { fromDay: 31, amount: '5000' }] },
    percentage: { base: 'overdue_principal_and_interest', rateBps: '50' },
    caps: { perAssessment: '20000', cumulativePercentOfPrincipalBps: '1000' },
    jurisdiction: 'CN',
    waiverApprovalThreshold: '10000',
  });
  await services.lateFees.attach(actor, policy.policy.id, {});
  await services.lateFees.assess(actor, null, 'cli');
  await services.delinquency.refresh(actor);
  await services.alerts.evaluate(actor);
  return portfolio.id;
}

/** An agency holding the demo portfolio, with client credentials for POST /oauth/token. */
async function seedAgency(services: Services, actor: TenantActor, portfolioId: string): Promise<{ clientId: string; clientSecret: string }> {
  const agency = await services.agencies.create(actor, {
    name: 'Demo Recoveries Ltd',
    contactEmail: 'placements@recoveries.example',
    commission: { rateBps: 1200, tierBasis: 'DAYS_PAST_DUE', tiers: [{ from: '0', rateBps: 1200 }, { from: '180', rateBps: 2000 }] },
    dataProtectionRef: 'DPA-DEMO-2026',
  });
  await services.agencies.grant(actor, { agencyId: agency.id, portfolioIds: [portfolioId], scopes: ['debtors:read', 'accounts:read', 'contacts:write', 'promises:write', 'plans:propose', 'payments:record'] });
  const { clientId, clientSecret } = await services.agencies.createCredential(actor, agency.id, 'demo');
  return { clientId, clientSecret };
}

/**
 * Lawful-contact data: a stricter contact window for Chinese debtors, SMS consent for some debtors, an inbound
 * call and a validation notice per account for the first few, and one open dispute. Only inbound contacts are
 * seeded: whether an outbound one is allowed depends on the hour the demo starts.
 */
async function seedCompliance(services: Services, actor: TenantActor, portfolioId: string): Promise<void> {
  await services.contacts.setRules(actor, {
    jurisdiction: 'CN',
    rules: { windowStart: '09:00', windowEnd: '20:00', blockedWeekdays: [], caps: [{ channel: 'call', max: 5, days: 7 }, { channel: 'sms', max: 3, days: 7 }], quietDaysAfterConversation: 7 },
  });
  const { rows } = await services.accounts.list(actor, { portfolioId }, 6, null);
  const now = new Date();
  for (const [i, a] of rows.entries()) {
    if (i % 2 === 0) await services.contacts.setPreference(actor, { debtorId: a.debtorId, channel: 'sms', state: 'granted', source: 'demo: consent on the loan application' });
    await services.disputes.recordNotice(actor, { accountId: a.id, sentAt: new Date(now.getTime() - (20 + i) * 86_400_000).toISOString(), method: 'mail' });
    await services.contacts.log(actor, {
      accountId: a.id,
      channel: 'call',
      direction: 'inbound',
      outcome: i % 3 === 0 ? 'promise_made' : 'right_party_contact',
      occurredAt: new Date(now.getTime() - (i + 1) * 3_600_000).toISOString(),
      collector: 'Demo desk',
      notes: 'Debtor called about the balance (demo).',
    });
  }
  const disputed = rows.find((a) => a.status === 'delinquent' || a.status === 'current');
  if (disputed) await services.disputes.open(actor, { accountId: disputed.id, reason: 'wrong_amount', details: 'Debtor says the opening fee was never agreed (demo).' });
}

export interface DemoResult {
  tenantId: string;
  apiKey: string;
  debtors: number;
  /** The demo agency's client credentials (shown once, like any secret). */
  agency?: { clientId: string; clientSecret: string };
}

/** A demo tenant, made through the same services as the API, so its audit chain is real. */
export async function seedDemo(services: Services, onKey?: (r: DemoResult) => void): Promise<DemoResult> {
  const platform: Actor = {
    principal: { kind: 'system', tenantId: null, actorId: 'demo-seed', scopes: new Set(SCOPES) },
    requestId: 'seed',
    ip: null,
    userAgent: null,
  };
  const { tenant, key } = await services.tenancy.createTenant(platform, { name: 'Demo Lending Co.', timeZone: 'Asia/Shanghai', keyName: 'Demo admin key' });
  const actor: TenantActor = { ...platform, principal: { ...platform.principal, tenantId: tenant.id } };
  await services.billing.assignPlan(tenant.id, 'growth', 'demo tenant');
  const list = demoDebtors();
  // Hand the key over before the slower part, so an interrupted seed still leaves a usable key behind.
  onKey?.({ tenantId: tenant.id, apiKey: key.secret, debtors: 0 });
  const debtors = [];
  for (const d of list) debtors.push(await services.debtors.create(actor, d));
  const portfolioId = await seedAccounts(services, actor, debtors.map((d) => d.id));
  const agency = await seedAgency(services, actor, portfolioId);
  await seedCompliance(services, actor, portfolioId);
  // A sandbox bureau (deterministic, no network) and a soft pull for the first few debtors.
  await services.creditChecks.createBureau(actor, { name: 'Sandbox bureau', provider: 'sandbox', costPerPull: '150', costCurrency: 'USD' });
  for (const d of debtors.slice(0, 6)) {
    if (d.nationalIdCiphertext) await services.creditChecks.request(actor, { debtorId: d.id, purpose: 'collection', pullType: 'soft' });
  }
  return { tenantId: tenant.id, apiKey: key.secret, debtors: list.length, agency };
}

export function writeDemoKey(dataDir: string, result: DemoResult): string {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'demo-api-key.txt');
  writeFileSync(file, result.apiKey + '\n', { mode: 0o600 });
  return file;
}

export function agencyTokenExample(baseUrl: string, c: { clientId: string; clientSecret: string }): string {
  return `curl -s ${baseUrl}/oauth/token -u '${c.clientId}:${c.clientSecret}' -d grant_type=client_credentials`;
}

export function curlExample(baseUrl: string, apiKey: string): string {
  const body = JSON.stringify({
    query: '{ debtors(first: 3) { totalCount edges { node { displayName phones { number } accounts { externalRef daysPastDue delinquencyBucket balance { total { decimal currency } } } } } } }',
  });
  return `curl -s ${baseUrl}/graphql -H 'content-type: application/json' -H 'authorization: Bearer ${apiKey}' -d '${body}'`;
}
