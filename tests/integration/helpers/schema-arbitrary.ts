import fc from 'fast-check';

/** A JSON schema as TypeBox emits it (the subset the routes use). */
export interface JsonSchema {
  type?: string;
  const?: unknown;
  anyOf?: JsonSchema[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  additionalProperties?: boolean | JsonSchema;
}

/** Values that satisfy the schema: what a well-behaved client would send. */
export function arbitraryFor(schema: JsonSchema): fc.Arbitrary<unknown> {
  if (schema.const !== undefined) return fc.constant(schema.const);
  if (schema.anyOf) return fc.oneof(...schema.anyOf.map(arbitraryFor));
  switch (schema.type) {
    case 'object': {
      const props = schema.properties ?? {};
      const required = new Set(schema.required ?? []);
      const record: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, v] of Object.entries(props)) record[k] = arbitraryFor(v);
      return fc.record(record, { requiredKeys: [...required].filter((k) => k in props) });
    }
    case 'array':
      return fc.array(arbitraryFor(schema.items ?? {}), { minLength: schema.minItems ?? 0, maxLength: Math.min(schema.maxItems ?? 5, 5) });
    case 'integer':
      return fc.integer({ min: Math.max(schema.minimum ?? -1e6, Number.MIN_SAFE_INTEGER), max: Math.min(schema.maximum ?? 1e9, Number.MAX_SAFE_INTEGER) });
    case 'number':
      return fc.integer({ min: schema.minimum ?? 0, max: schema.maximum ?? 1e9 });
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'string':
      return stringFor(schema);
    default:
      return fc.constant(null);
  }
}

function stringFor(schema: JsonSchema): fc.Arbitrary<string> {
  if (schema.format === 'email') return fc.emailAddress();
  if (schema.format === 'date-time') return fc.date({ min: new Date('2020-01-01'), max: new Date('2030-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
  if (schema.format === 'uri') return fc.constantFrom('https://example.com/hook', 'http://127.0.0.1:9/x');
  const min = schema.minLength ?? 0;
  const max = Math.min(schema.maxLength ?? 40, 60);
  if (schema.pattern) {
    return fc.stringMatching(new RegExp(schema.pattern)).filter((s) => s.length >= min && s.length <= (schema.maxLength ?? Infinity));
  }
  return fc.string({ minLength: min, maxLength: Math.max(min, max) });
}

/** Raw JSON texts that break the schema in the ways hostile clients do. */
export function malformedBodies(valid: Record<string, unknown> | null, schema: JsonSchema): fc.Arbitrary<{ raw: string; why: string }> {
  const props = Object.keys(schema.properties ?? {});
  const integers = props.filter((k) => schema.properties![k]!.type === 'integer');
  const required = schema.required ?? [];
  const mutations: fc.Arbitrary<{ raw: string; why: string }>[] = [
    fc.constant({ raw: '{"__proto__":{"x":1}}', why: 'prototype key' }),
    fc.constant({ raw: 'NaN', why: 'NaN literal' }),
    fc.constant({ raw: '{', why: 'truncated' }),
    fc.constant({ raw: JSON.stringify({ ...(valid ?? {}), unexpected: 'x' }), why: 'extra field' }),
    fc.constant({ raw: JSON.stringify({ ...(valid ?? {}), status: 'cleared', lenderId: 'usr_00000000000000000000' }), why: 'mass assignment' }),
    fc.constant({ raw: `{"pad":"${'x'.repeat(1024 * 1024)}"}`, why: '1 MiB body' }),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 200 }).map((s) => ({ raw: JSON.stringify({ ...(valid ?? {}), zzz: s }), why: 'odd unicode extra field' })),
  ];
  for (const k of required) {
    const copy = { ...(valid ?? {}) };
    delete copy[k];
    mutations.push(fc.constant({ raw: JSON.stringify(copy), why: `missing ${k}` }));
  }
  for (const k of integers) {
    const base = JSON.stringify({ ...(valid ?? {}), [k]: 424242 });
    for (const [lit, why] of [
      ['1.5', 'float'],
      ['100.0', 'float that looks whole'],
      ['1e5', 'exponent'],
      ['-0', 'negative zero'],
      ['"0x10"', 'hex string'],
      ['"100"', 'numeric string'],
      ['123456789012345678901234567890', 'huge'],
      ['-1', 'negative'],
      ['true', 'boolean'],
      ['null', 'null'],
      ['[1]', 'array'],
    ] as const) {
      mutations.push(fc.constant({ raw: base.replace('424242', lit), why: `${k}: ${why}` }));
    }
  }
  for (const k of props.filter((p) => schema.properties![p]!.type === 'string')) {
    const over = (schema.properties![k]!.maxLength ?? 1000) + 1;
    mutations.push(fc.string({ unit: 'grapheme', minLength: over, maxLength: over + 300 }).map((s) => ({ raw: JSON.stringify({ ...(valid ?? {}), [k]: s }), why: `${k}: too long odd string` })));
    mutations.push(fc.constant({ raw: JSON.stringify({ ...(valid ?? {}), [k]: 12345 }), why: `${k}: number for a string` }));
  }
  return fc.oneof(...mutations);
}
