// CIDRs as the generated policies need them: a CIDR that is none is refused, naming its field, where
// it is rendered (the schema's CEL rules, checked before, are stricter: no host bits).
import { BlockList, isIPv4 } from 'node:net';
import { FieldError } from '../api/field-error.ts';

export interface Subnet {
  block: BlockList;
  v4: boolean;
  prefix: number;
}

/** The subnet of a CIDR; a FieldError naming `field` when it is none. */
export function parseCidr(cidr: string, field: string): Subnet {
  const [network = '', prefixText = ''] = cidr.split('/');
  const v4 = isIPv4(network);
  const prefix = Number(prefixText);
  const block = new BlockList();
  try {
    if (!/^\d+$/.test(prefixText)) throw new Error('no prefix length');
    block.addSubnet(network, prefix, v4 ? 'ipv4' : 'ipv6');
  } catch {
    throw new FieldError(field, `must be a CIDR such as 10.0.0.0/8 or fd00::/8, not "${cidr}"`);
  }
  return { block, v4, prefix };
}

/** The address of a host CIDR (10.0.0.1/32) and whether it is in `subnet`. */
export function holds({ block, v4 }: Subnet, address: string): boolean {
  return isIPv4(address) === v4 && block.check(address, v4 ? 'ipv4' : 'ipv6');
}
