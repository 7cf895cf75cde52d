// The timestamp formats of the Kubernetes API.

/** metav1.Time: RFC 3339 to the second (conditions' lastTransitionTime). */
export const apiTime = (date: Date) => date.toISOString().replace(/\.\d+Z$/, 'Z');

/** metav1.MicroTime: RFC 3339 with microseconds (Events, Leases). */
export const microTime = (date: Date) => date.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
