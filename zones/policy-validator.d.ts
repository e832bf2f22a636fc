// Types of dist/zones/policy-validator.js, which scripts/gen-policy-validator.mjs generates from
// policy.schema.json at build time (ajv standalone code).
import type { ErrorObject } from 'ajv';

export interface PolicyValidator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}
export declare const validate: PolicyValidator;
export default validate;
