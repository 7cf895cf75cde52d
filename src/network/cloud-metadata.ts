// The cloud metadata API (AWS, GCP, Azure, ...; AWS's IPv6 one): node credentials, one hop from
// any pod. Shared by the schemas' rules and the policies both ringfence kinds render; no schema
// builder here, so the operator loads none.
import { FieldError } from '../api/field-error.ts';
import { holds, parseCidr } from './cidr.ts';

export const CLOUD_METADATA_CIDRS = ['169.254.169.254/32', 'fd00:ec2::254/128'];

/** The metadata addresses inside `cidr`, as except entries; an ipBlock that is only the metadata address is an error. */
export function metadataCuts(cidr: string, field: string): string[] {
  const subnet = parseCidr(cidr, field);
  return CLOUD_METADATA_CIDRS.flatMap((metadata) => {
    const [address = '', hostBits] = metadata.split('/');
    if (!holds(subnet, address)) return [];
    if (subnet.prefix === Number(hostBits)) {
      throw new FieldError(field, `allows the cloud metadata address ${address} while blockCloudMetadata is true`);
    }
    return [metadata];
  });
}
