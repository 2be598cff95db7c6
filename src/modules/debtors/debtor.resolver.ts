import { Arg, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { tenantActor, type GraphQLContext } from '../../graphql/context.js';
import { decodeCursor, encodeCursor, pageInfo, pageSize } from '../../graphql/pagination.js';
import { maskNationalId } from '../../shared/pii-crypto.js';
import { planSearch } from './debtor.search.js';
import type { DebtorListFilter, DebtorOrder, DebtorRow } from './debtor.repository.js';
import type { ContactInput, DebtorFields } from './debtor.model.js';
import { CreateDebtorInput, DebtorFilter, UpdateDebtorInput } from './debtor.inputs.js';
import { Debtor, DebtorConnection, DebtorEmail, DebtorFlags, DebtorOrderEnum, DebtorPhone, PostalAddress, RevealedNationalId } from './debtor.type.js';
import { LocalDateScalar } from '../../graphql/scalars.js';

/**
 * An agency reaching a debtor through a portfolio granted accounts:read but not debtors:read sees who owes
 * (name, kind, flags) but not how to reach them: contact points, addresses, date of birth and the masked
 * national id are absent (ctx.loaders.debtorDetails answers per debtor).
 */
function mayReadDebtorDetails(ctx: GraphQLContext, d: DebtorRow): Promise<boolean> | boolean {
  return ctx.actor.principal.kind !== 'agency' || ctx.loaders.debtorDetails.load(d.id);
}

type ContactsIn = { emails?: { address: string; label?: string | null }[] | null; phones?: { number: string; label?: string | null }[] | null };

/** GraphQL names emails' and phones' values differently; the domain calls both `value`. */
function contactsOf(input: ContactsIn): { emails?: ContactInput[] | null; phones?: ContactInput[] | null } {
  return {
    emails: input.emails === undefined ? undefined : (input.emails?.map((e) => ({ value: e.address, label: e.label })) ?? null),
    phones: input.phones === undefined ? undefined : (input.phones?.map((p) => ({ value: p.number, label: p.label })) ?? null),
  };
}

function cursorKey(order: DebtorOrder, row: DebtorRow): string {
  return order === 'name_asc' || order === 'name_desc' ? row.displayName : '';
}

@Resolver(() => Debtor)
export class DebtorResolver {
  @Authorized('read')
  @Query(() => Debtor, { description: 'NOT_FOUND when the id is unknown or not this tenant\'s.' })
  debtor(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<DebtorRow> {
    return ctx.services.debtors.get(tenantActor(ctx, 'debtors:read'), id);
  }

  @Authorized('read')
  @Query(() => DebtorConnection)
  async debtors(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { nullable: true, description: '1–100, default 20' }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('filter', () => DebtorFilter, { nullable: true }) filter: DebtorFilter | null,
    @Arg('orderBy', () => DebtorOrderEnum, { nullable: true, defaultValue: DebtorOrderEnum.CREATED_DESC }) orderBy: DebtorOrderEnum,
  ): Promise<DebtorConnection> {
    const actor = tenantActor(ctx, 'debtors:read');
    const size = pageSize(first);
    const order = orderBy as DebtorOrder;
    const cursor = decodeCursor(after, order);
    const f: DebtorListFilter = {
      search: filter?.search ? planSearch(filter.search) : null,
      tags: filter?.tags ?? [],
      flags: filter?.flags ?? [],
      archived: filter == null || filter.archived === undefined ? false : filter.archived,
    };
    const page = await ctx.services.debtors.list(actor, f, order, size, cursor);
    const cursorOf = (r: DebtorRow) => encodeCursor(order, cursorKey(order, r), r.id);
    const connection = new DebtorConnection();
    connection.edges = page.rows.map((r) => ({ cursor: cursorOf(r), node: r as unknown as Debtor }));
    connection.pageInfo = pageInfo(page.rows, page.hasNextPage, cursorOf);
    connection.count = () => ctx.services.debtors.count(actor, f);
    return connection;
  }

  @Authorized('write')
  @Mutation(() => Debtor)
  createDebtor(@Ctx() ctx: GraphQLContext, @Arg('input', () => CreateDebtorInput) input: CreateDebtorInput): Promise<DebtorRow> {
    const fields: DebtorFields = { ...input, ...contactsOf(input) } as DebtorFields;
    return ctx.services.debtors.create(tenantActor(ctx), fields);
  }

  @Authorized('write')
  @Mutation(() => Debtor, { description: 'Optimistic: pass the version you read; a stale one is CONFLICT.' })
  updateDebtor(@Ctx() ctx: GraphQLContext, @Arg('input', () => UpdateDebtorInput) input: UpdateDebtorInput): Promise<DebtorRow> {
    const { id, version, ...rest } = input;
    const patch = { ...rest, ...contactsOf(rest) } as Partial<DebtorFields>;
    return ctx.services.debtors.update(tenantActor(ctx), id, version, patch);
  }

  @Authorized('write')
  @Mutation(() => Debtor, { description: 'Hides a debtor from lists. Nothing is deleted: collection records are retained.' })
  archiveDebtor(
    @Ctx() ctx: GraphQLContext,
    @Arg('id', () => ID) id: string,
    @Arg('reason', () => String, { nullable: true }) reason: string | null,
  ): Promise<DebtorRow> {
    return ctx.services.debtors.archive(tenantActor(ctx), id, reason);
  }

  @Authorized('pii:reveal')
  @Mutation(() => RevealedNationalId, { description: 'Needs the pii:reveal scope; every reveal is audited.' })
  async revealDebtorNationalId(@Ctx() ctx: GraphQLContext, @Arg('id', () => ID) id: string): Promise<RevealedNationalId> {
    const nationalId = await ctx.services.debtors.revealNationalId(tenantActor(ctx, 'pii:reveal'), id);
    return { debtorId: id.toLowerCase(), nationalId };
  }

  @FieldResolver(() => [DebtorEmail])
  async emails(@Root() d: DebtorRow, @Ctx() ctx: GraphQLContext): Promise<DebtorEmail[]> {
    if (!(await mayReadDebtorDetails(ctx, d))) return [];
    const points = await ctx.loaders.contactPoints.load(d.id);
    return points.filter((p) => p.kind === 'email').map((p) => ({ address: p.value, label: p.label }));
  }

  @FieldResolver(() => [DebtorPhone])
  async phones(@Root() d: DebtorRow, @Ctx() ctx: GraphQLContext): Promise<DebtorPhone[]> {
    if (!(await mayReadDebtorDetails(ctx, d))) return [];
    const points = await ctx.loaders.contactPoints.load(d.id);
    return points.filter((p) => p.kind === 'phone').map((p) => ({ number: p.value, label: p.label }));
  }

  @FieldResolver(() => DebtorFlags)
  flags(@Root() d: DebtorRow): DebtorFlags {
    return { deceased: d.deceased, bankrupt: d.bankrupt, ceaseCommunication: d.ceaseCommunication, vulnerable: d.vulnerable };
  }

  @FieldResolver(() => String, { nullable: true, description: 'Only the last four characters, e.g. ••••4514.' })
  async nationalIdMasked(@Root() d: DebtorRow, @Ctx() ctx: GraphQLContext): Promise<string | null> {
    return (await mayReadDebtorDetails(ctx, d)) ? maskNationalId(d.nationalIdLast4) : null;
  }

  @FieldResolver(() => [PostalAddress])
  async addresses(@Root() d: DebtorRow, @Ctx() ctx: GraphQLContext): Promise<PostalAddress[]> {
    return (await mayReadDebtorDetails(ctx, d)) ? (d.addresses as PostalAddress[]) : [];
  }

  @FieldResolver(() => LocalDateScalar, { nullable: true })
  async dateOfBirth(@Root() d: DebtorRow, @Ctx() ctx: GraphQLContext): Promise<string | null> {
    return (await mayReadDebtorDetails(ctx, d)) ? d.dateOfBirth : null;
  }

  @FieldResolver(() => Boolean)
  archived(@Root() d: DebtorRow): boolean {
    return d.archivedAt !== null;
  }
}
