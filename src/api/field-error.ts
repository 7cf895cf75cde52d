/** A resource that cannot be acted on, and the path of the field at fault (`spec.egress.to[1].ipBlock.cidr`). */
export class FieldError extends Error {
  readonly field: string;

  constructor(field: string, message: string) {
    super(`${field}: ${message}`);
    this.name = 'FieldError';
    this.field = field;
  }
}
