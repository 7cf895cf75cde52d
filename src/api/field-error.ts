/** A resource that cannot be acted on, and the path of the field at fault (`spec.egress.to[1].ipBlock.cidr`; '' for the whole object). */
export class FieldError extends Error {
  readonly field: string;

  constructor(field: string, message: string) {
    // A rule on the whole object has no field to name.
    super(field ? `${field}: ${message}` : message);
    this.name = 'FieldError';
    this.field = field;
  }
}
