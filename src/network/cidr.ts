// CIDRs as the generated policies need them: a CIDR that is none is refused, naming its field, where
// it is rendered (the schema's CEL rules, checked before, are stricter: no host bits).
import { BlockList, isIPv4 } from 'node:net';
import { FieldError } from '../api/field-error.ts';

/** Read only: parseCidr hands the same one to every caller of a CIDR. */
export interface Subnet {
  readonly block: BlockList;
  readonly v4: boolean;
  readonly prefix: number;
}

/**
 * Subnets parsed before, by CIDR: every reconcile renders its ringfence again, and a BlockList
 * costs more to build than the rest of a policy. A cluster's specs name few CIDRs; the bound only
 * keeps hostile input from growing it.
 */
const parsed = new Map<string, Subnet>();
const MAX_PARSED = 4096;

/** The subnet of a CIDR; a FieldError naming `field` when it is none. */
export function parseCidr(cidr: string, field: string): Subnet {
  let subnet = parsed.get(cidr);
  if (!subnet) {
    if (parsed.size >= MAX_PARSED) parsed.clear();
    subnet = newSubnet(cidr, field);
    parsed.set(cidr, subnet);
  }
  return subnet;
}

function newSubnet(cidr: string, field: string): Subnet {
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
