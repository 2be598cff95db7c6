import { Arg, Authorized, Ctx, Int, Query, Resolver } from 'type-graphql';
import { tenantActor, type GraphQLContext } from '../../graphql/context.js';
import { decodeCursor, encodeCursor, pageInfo, pageSize } from '../../graphql/pagination.js';
import { AppError } from '../../shared/errors.js';
import type { AuditRow } from './audit.repository.js';
import { AuditEvent, AuditEventConnection, AuditEventFilter, AuditVerification } from './audit.type.js';

const ORDER = 'seq_desc';
// Cursor ids must be UUIDs; the audit event's own id serves, with seq as the key.
const cursorOf = (r: AuditRow) => encodeCursor(ORDER, String(r.seq), r.id);

@Resolver(() => AuditEvent)
export class AuditResolver {
  @Authorized('admin')
  @Query(() => AuditEventConnection, { description: 'Newest first.' })
  async auditEvents(
    @Ctx() ctx: GraphQLContext,
    @Arg('first', () => Int, { nullable: true }) first: number | null,
    @Arg('after', () => String, { nullable: true }) after: string | null,
    @Arg('filter', () => AuditEventFilter, { nullable: true }) filter: AuditEventFilter | null,
  ): Promise<AuditEventConnection> {
    const actor = tenantActor(ctx, 'accounts:read');
    const size = pageSize(first);
    const cursor = decodeCursor(after, ORDER);
    const beforeSeq = cursor ? Number(cursor.key) : null;
    if (beforeSeq !== null && !Number.isSafeInteger(beforeSeq)) throw AppError.badInput('after', 'is not a cursor from this list');
    const f = filter ?? {};
    if (f.from && f.to && f.from > f.to) throw AppError.badInput('filter.to', 'must not be before filter.from');
    const rows = await ctx.services.audit.list(actor, f, size + 1, beforeSeq);
    const page = rows.slice(0, size);
    const connection = new AuditEventConnection();
    connection.edges = page.map((r) => ({ cursor: cursorOf(r), node: r }));
    connection.pageInfo = pageInfo(page, rows.length > size, cursorOf);
    connection.count = () => ctx.services.audit.count(actor, f);
    return connection;
  }

  @Authorized('admin')
  @Query(() => AuditVerification, { description: 'Recomputes the hash chain and names the first altered event.' })
  verifyAuditLog(@Ctx() ctx: GraphQLContext): Promise<AuditVerification> {
    return ctx.services.audit.verify(tenantActor(ctx));
  }
}
