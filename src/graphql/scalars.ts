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

/**
 * An integer count of a currency's minor unit (cents, fen, yen), as a string so values beyond 2^53 survive
 * JSON. Input also accepts a JSON integer within the safe range; never a fraction.
 */
export const MinorUnitsScalar = new GraphQLScalarType<string, string>({
  name: 'MinorUnits',
  description: 'Integer amount in the currency\'s minor unit (e.g. cents), as a string: "123456" is 1,234.56 EUR.',
  serialize(value) {
    if (typeof value === 'bigint') return value.toString();
    if (typeof value === 'string' && /^-?\d+$/.test(value)) return value;
    throw new GraphQLError('MinorUnits cannot represent this value');
  },
  parseValue(value) {
    if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return value.trim();
    if (typeof value === 'number' && Number.isSafeInteger(value)) return String(value);
    throw new GraphQLError('MinorUnits must be an integer number of minor units, as a string such as "123456"');
  },
  parseLiteral(ast) {
    if ((ast.kind === Kind.STRING || ast.kind === Kind.INT) && /^-?\d+$/.test(ast.value)) return ast.value;
    throw new GraphQLError('MinorUnits must be an integer number of minor units, as a string such as "123456"', { nodes: ast });
  },
});
