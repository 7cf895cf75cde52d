// The cloud metadata API (AWS, GCP, Azure, ...; AWS's IPv6 one): node credentials, one hop from
// any pod. Shared by the schema's rules and the policies rendered from them; no schema builder
// here, so the operator loads none.
export const CLOUD_METADATA_CIDRS = ['169.254.169.254/32', 'fd00:ec2::254/128'];
