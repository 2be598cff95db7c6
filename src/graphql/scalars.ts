import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';
import { isCalendarDate } from '../shared/validation.js';

/** A calendar date without time or zone: "2026-02-28". Impossible dates (2026-02-30) are refused. */
export const LocalDateScalar = new GraphQLScalarType<string, string>({
  name: 'LocalDate',
  description: 'A calendar date in ISO 8601 form, YYYY-MM-DD, with no time zone.',
  serialize(value) {
    if (typeof value === 'string' && isCalendarDate(value)) return value;
    throw new GraphQLError('LocalDate cannot represent this value');
  },
  parseValue(value) {
    if (typeof value === 'string' && isCalendarDate(value)) return value;
    throw new GraphQLError(`LocalDate must be a real date in YYYY-MM-DD form`);
  },
  parseLiteral(ast) {
    if (ast.kind === Kind.STRING && isCalendarDate(ast.value)) return ast.value;
    throw new GraphQLError(`LocalDate must be a real date in YYYY-MM-DD form`, { nodes: ast });
  },
});
