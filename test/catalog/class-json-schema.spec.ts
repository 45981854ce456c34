import { describe, expect, it } from '@jest/globals';
import Ajv from 'ajv';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Validate, ValidateNested, ValidatorConstraint, type ValidatorConstraintInterface } from 'class-validator';
import { EventCatalog } from '../../lib';
import { classToJsonSchema } from '../../lib/catalog/class-json-schema';
import { INVOICE_PAID_EXAMPLE, InvoicePaidDto } from './catalog-fixtures';

/** A consumer's ajv: strict draft-07, formats not checked (class-validator-jsonschema emits `format: email`...). */
const consumerAjv = () => new Ajv({ allErrors: true, validateFormats: false });

/** A tree: the class refers to itself. */
class TreeNodeDto {
  @IsString()
  label!: string;

  @IsOptional()
  @ValidateNested({ each: true })
  @Type(() => TreeNodeDto)
  children?: TreeNodeDto[];
}

/** Two different classes named `Address`, as happens across modules. */
const BillingAddress = (() => {
  class Address {
    @IsString()
    street!: string;
  }
  return Address;
})();
const ShippingAddress = (() => {
  class Address {
    @IsInt()
    dock!: number;
  }
  return Address;
})();

class OrderDto {
  @ValidateNested()
  @Type(() => BillingAddress)
  billing!: InstanceType<typeof BillingAddress>;

  @ValidateNested()
  @Type(() => ShippingAddress)
  shipping!: InstanceType<typeof ShippingAddress>;

  @ValidateNested({ each: true })
  @Type(() => TreeNodeDto)
  trees!: TreeNodeDto[];
}

class Plain {
  x?: number;
}

@ValidatorConstraint({ name: 'isEvenThing' })
class IsEvenThing implements ValidatorConstraintInterface {
  validate(value: unknown): boolean {
    return typeof value === 'number' && value % 2 === 0;
  }
}

class LooseDto {
  @ValidateNested()
  @Type(() => Plain)
  plain!: Plain;

  @Validate(IsEvenThing)
  at!: Date;
}

describe('classToJsonSchema (class-validator-jsonschema, made self-contained)', () => {
  it('nested classes and arrays of them become definitions referenced by $ref; the result compiles and checks payloads', async () => {
    const schema = await classToJsonSchema(InvoicePaidDto);
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema).toMatchObject({
      type: 'object',
      properties: { customer: { $ref: '#/definitions/CustomerDto' }, lines: { type: 'array', items: { $ref: '#/definitions/InvoiceLineDto' } }, currency: { enum: ['EUR', 'USD'] } },
      definitions: { CustomerDto: { type: 'object', required: expect.arrayContaining(['id', 'email']) }, InvoiceLineDto: { type: 'object', required: ['sku', 'quantity'] } },
    });
    expect(schema.required).toEqual(expect.arrayContaining(['invoice_id', 'amount', 'currency', 'customer', 'lines']));
    const validate = consumerAjv().compile(schema);
    expect(validate(INVOICE_PAID_EXAMPLE)).toBe(true);
    expect(validate({ ...INVOICE_PAID_EXAMPLE, customer: { id: 'c' } })).toBe(false);
    expect(validate.errors).toContainEqual(expect.objectContaining({ instancePath: '/customer', params: { missingProperty: 'email' } }));
    expect(validate({ ...INVOICE_PAID_EXAMPLE, lines: [{ sku: 'a', quantity: 1.5 }] })).toBe(false);
  });

  it('a class that refers to itself points at the root (#); same-named classes get distinct definitions', async () => {
    const tree = await classToJsonSchema(TreeNodeDto);
    expect(tree.properties).toMatchObject({ children: { type: 'array', items: { $ref: '#' } } });
    expect(tree.definitions).toBeUndefined();
    expect(consumerAjv().compile(tree)({ label: 'a', children: [{ label: 'b', children: [{ label: 'c' }] }] })).toBe(true);
    expect(consumerAjv().compile(tree)({ label: 'a', children: [{ label: 1 }] })).toBe(false);

    const order = await classToJsonSchema(OrderDto);
    expect(order.properties).toMatchObject({ billing: { $ref: '#/definitions/Address' }, shipping: { $ref: '#/definitions/Address_2' }, trees: { items: { $ref: '#/definitions/TreeNodeDto' } } });
    expect(Object.keys(order.definitions as object).sort()).toEqual(['Address', 'Address_2', 'TreeNodeDto']);
    // Inside the TreeNodeDto definition, its self-reference points at that definition, not at the root.
    expect((order.definitions as Record<string, { properties: Record<string, unknown> }>).TreeNodeDto.properties.children).toMatchObject({ items: { $ref: '#/definitions/TreeNodeDto' } });
    const validate = consumerAjv().compile(order);
    expect(validate({ billing: { street: 'Main St' }, shipping: { dock: 4 }, trees: [{ label: 'x', children: [{ label: 'y' }] }] })).toBe(true);
    expect(validate({ billing: { street: 'Main St' }, shipping: { dock: 'four' }, trees: [] })).toBe(false);
  });

  it('never leaves a dangling $ref: undecorated nested classes are objects, custom constraints are unconstrained', async () => {
    const schema = await classToJsonSchema(LooseDto);
    expect(schema.properties).toEqual({ plain: { type: 'object' }, at: {} });
    expect(JSON.stringify(schema)).not.toContain('$ref');
    expect(consumerAjv().compile(schema)({ plain: {}, at: 'whenever' })).toBe(true);
  });

  it('EventCatalog.describe() renders class schemas once and passes JSON Schemas through, as copies', async () => {
    const json = { type: 'object', properties: { id: { type: 'string' } } };
    const catalog = await EventCatalog.create([
      { event_type: 'invoice.paid', schema: InvoicePaidDto, example: INVOICE_PAID_EXAMPLE, description: 'Paid.' },
      { event_type: 'thing.done', schema: json },
    ]);
    const first = await catalog.describe();
    expect(first).toEqual([
      { event_type: 'invoice.paid', description: 'Paid.', schema: await classToJsonSchema(InvoicePaidDto), example: INVOICE_PAID_EXAMPLE },
      { event_type: 'thing.done', description: null, schema: json, example: null },
    ]);
    (first[1].schema as { type: string }).type = 'changed';
    (first[0].example as { amount: number }).amount = -1;
    const second = await catalog.describe();
    expect(second[1].schema).toEqual(json);
    expect(second[0].example).toEqual(INVOICE_PAID_EXAMPLE);
  });
});
