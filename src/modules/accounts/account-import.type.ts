import { Field, Int, ObjectType } from 'type-graphql';

@ObjectType()
export class ImportRowError {
  @Field(() => Int, { description: 'Row number (1-based) in the input list, or line in the file.' })
  line!: number;

  @Field(() => String, { description: 'Column, e.g. principal or due_on.' })
  field!: string;

  @Field(() => String)
  message!: string;
}

@ObjectType()
export class AccountImportResult {
  @Field(() => Int)
  rows!: number;

  @Field(() => Int)
  accountsCreated!: number;

  @Field(() => Int, { description: 'Already imported (same reference, portfolio and debtor): left as they were.' })
  accountsUnchanged!: number;

  @Field(() => Int)
  debtorsCreated!: number;

  @Field(() => Int)
  debtorsUpdated!: number;

  @Field(() => Int, { description: 'Rows with at least one error.' })
  failed!: number;

  @Field(() => Boolean, { description: 'false: atomic import refused because some row failed; nothing was written.' })
  written!: boolean;

  @Field(() => [ImportRowError])
  errors!: ImportRowError[];
}
