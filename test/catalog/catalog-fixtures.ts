import { Type } from 'class-transformer';
import { ArrayMinSize, IsArray, IsEmail, IsIn, IsInt, IsObject, IsOptional, IsPositive, IsString, Min, MinLength, ValidateNested } from 'class-validator';
import type { EventCatalogEntry } from '../../lib';

/** A nested object of {@link InvoicePaidDto}. */
export class CustomerDto {
  @IsString()
  id!: string;

  @IsEmail()
  email!: string;

  @IsOptional()
  @IsString()
  name?: string;
}

/** An item of {@link InvoicePaidDto}'s array. */
export class InvoiceLineDto {
  @IsString()
  @MinLength(1)
  sku!: string;

  @IsInt()
  @Min(1)
  quantity!: number;
}

/** The class-validator schema of `invoice.paid`: a nested object and an array of nested objects. */
export class InvoicePaidDto {
  @IsString()
  invoice_id!: string;

  @IsInt()
  @IsPositive()
  amount!: number;

  @IsIn(['EUR', 'USD'])
  currency!: string;

  // ValidateNested alone lets a missing object through (class-validator skips undefined): IsObject requires it.
  @IsObject()
  @ValidateNested()
  @Type(() => CustomerDto)
  customer!: CustomerDto;

  @IsArray()
  @ArrayMinSize(1)
  @ValidateNested({ each: true })
  @Type(() => InvoiceLineDto)
  lines!: InvoiceLineDto[];

  @IsOptional()
  @IsString({ each: true })
  tags?: string[];
}

export const INVOICE_PAID_EXAMPLE = {
  invoice_id: 'in_1001',
  amount: 4200,
  currency: 'EUR',
  customer: { id: 'cus_42', email: 'billing@acme.example', name: 'Acme' },
  lines: [{ sku: 'plan-pro', quantity: 1 }],
};

/** A JSON Schema with required fields, types, bounds, an enum and a closed nested object (no formats). */
export const CUSTOMER_UPDATED_SCHEMA = {
  type: 'object',
  required: ['customer_id', 'changes'],
  properties: {
    customer_id: { type: 'string', minLength: 3 },
    changes: {
      type: 'object',
      required: ['plan'],
      additionalProperties: false,
      properties: {
        plan: { enum: ['free', 'pro', 'enterprise'] },
        seats: { type: 'integer', minimum: 1 },
      },
    },
    reasons: { type: 'array', items: { type: 'string' } },
  },
};

export const CUSTOMER_UPDATED_EXAMPLE = { customer_id: 'cus_42', changes: { plan: 'pro', seats: 5 } };

/** The catalog most tests use: one class schema, one JSON Schema. */
export function catalogEntries(): EventCatalogEntry[] {
  return [
    { event_type: 'invoice.paid', description: 'An invoice was paid in full.', schema: InvoicePaidDto, example: INVOICE_PAID_EXAMPLE },
    { event_type: 'customer.updated', description: 'A customer changed plan.', schema: CUSTOMER_UPDATED_SCHEMA, example: CUSTOMER_UPDATED_EXAMPLE },
  ];
}
