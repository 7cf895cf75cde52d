// The Kubernetes CIDR library as src/api/cel.ts evaluates it offline: the cases of
// k8s.io/apiserver/pkg/cel/library/cidr_test.go, Go's netip parsing corner cases, and every rule the
// CRDs carry compiling.
import { expect } from 'chai';
import { compileRule } from '../../src/api/cel.ts';
import { customResourceDefinitions } from '../../src/api/index.ts';

const evaluate = (expression: string, self: unknown = null) => compileRule(expression)(self);

describe('CEL CIDR library (offline)', function () {
  // cidr_test.go, but for ip() and string(), which the CRDs do not use and cel.ts does not offer.
  const upstream: [string, boolean][] = [
    ['cidr("192.168.0.0/24").containsIP("192.168.0.1")', true],
    ['cidr("192.168.0.0/24").containsIP("192.168.1.1")', false],
    ['cidr("192.168.0.0/24").containsCIDR(cidr("192.168.0.0/25"))', true],
    ['cidr("192.168.0.0/24").containsCIDR(cidr("192.168.0.1/32"))', true],
    ['cidr("192.168.0.0/24").containsCIDR(cidr("192.168.0.0/23"))', false],
    ['cidr("192.168.0.0/24").containsCIDR(cidr("192.169.0.1/32"))', false],
    ['cidr("192.168.0.0/24").containsCIDR("192.168.0.0/25")', true],
    ['cidr("192.168.0.0/24").containsCIDR("192.168.0.0/23")', false],
    ['cidr("192.168.0.0/24").masked() == cidr("192.168.0.0/24")', true],
    ['cidr("192.168.0.1/24").masked() == cidr("192.168.0.0/24")', true],
    ['cidr("192.168.0.0/24").prefixLength() == 24', true],
    ['cidr("2001:db8::/32").containsIP("2001:db8::1")', true],
    ['cidr("2001:db8::/32").containsIP("2001:dc8::1")', false],
    ['cidr("2001:db8::/32").containsCIDR(cidr("2001:db8::/33"))', true],
    ['cidr("2001:db8::/32").containsCIDR(cidr("2001:db8::/31"))', false],
    ['cidr("2001:db8::/32").containsCIDR("2001:db8::/33")', true],
    ['cidr("2001:db8::/32").containsCIDR("2001:db8::/31")', false],
    ['cidr("2001:db8::/32").masked() == cidr("2001:db8::/32")', true],
    ['cidr("2001:db8:1::/32").masked() == cidr("2001:db8::/32")', true],
    ['cidr("2001:db8::/32").prefixLength() == 32', true],
  ];
  for (const [expression, result] of upstream) {
    it(`${expression} is ${result}`, function () {
      expect(evaluate(expression)).to.equal(result);
    });
  }

  it('keeps host bits, so that cidr(x) == cidr(x).masked() tells a canonical CIDR', function () {
    const canonical = 'cidr(self) == cidr(self).masked()';
    expect(evaluate(canonical, '10.0.0.0/8')).to.equal(true);
    expect(evaluate(canonical, '10.0.0.1/8')).to.equal(false);
    expect(evaluate(canonical, 'fd00::/8')).to.equal(true);
    expect(evaluate(canonical, 'fd00::1/8')).to.equal(false);
    expect(evaluate(canonical, '0.0.0.0/0')).to.equal(true);
  });

  it('compares CIDRs by address and length, written any way', function () {
    expect(evaluate('cidr("FD00:0EC2:0:0::254/128") == cidr("fd00:ec2::254/128")')).to.equal(true);
    expect(evaluate('cidr("10.0.0.0/8") == cidr("10.0.0.0/9")')).to.equal(false);
    expect(evaluate('cidr("10.0.0.0/8") != cidr("10.0.0.0/9")')).to.equal(true);
  });

  it('never contains across address families', function () {
    expect(evaluate('cidr("0.0.0.0/0").containsCIDR("::/0")')).to.equal(false);
    expect(evaluate('cidr("::/0").containsIP("10.0.0.1")')).to.equal(false);
    expect(evaluate('cidr("0.0.0.0/0").containsCIDR("10.0.0.0/8")')).to.equal(true);
  });

  // Accepted and refused exactly as Go's netip.ParsePrefix and the library's parseCIDR do.
  const cidrs: [string, boolean][] = [
    ['192.168.0.0/16', true], ['0.0.0.0/0', true], ['255.255.255.255/32', true], ['::/0', true], ['::1/128', true],
    ['2001:DB8::/32', true], ['1:2:3:4:5:6:7:8/128', true], ['::1.2.3.4/128', true], ['1:2:3:4:5:6:1.2.3.4/128', true],
    ['192.168.0.0/33', false], ['::1/129', false], ['192.168.0.0', false], ['192.168.0.0/', false], ['/8', false],
    ['010.0.0.0/8', false], ['10.0.0.0/08', false], ['10.0.0.0/+8', false], ['10.0.0.0/-0', false], ['256.0.0.0/8', false],
    ['10.0.0/8', false], ['10.0.0.0.0/8', false], ['10..0.0/8', false], ['fe80::1%eth0/64', false], ['::ffff:1.2.3.4/120', false],
    ['1:2:3:4:5:6:7::8/128', false], ['1::2::3/64', false], ['12345::/16', false], ['1.2.3.4::/64', false], ['1:2:3:4:5:1.2.3.4/128', false],
    [':1::/16', false], ['1:/16', false], ['', false], ['10.0.0.0/8 ', false],
  ];
  for (const [text, valid] of cidrs) {
    it(`isCIDR("${text}") is ${valid}, and cidr() ${valid ? 'parses' : 'refuses'} it`, function () {
      expect(evaluate('isCIDR(self)', text)).to.equal(valid);
      const parse = () => evaluate('cidr(self).prefixLength() >= 0', text);
      if (valid) expect(parse()).to.equal(true);
      else expect(parse).to.throw();
    });
  }

  it('refuses a zone or an IPv4-mapped address in containsIP', function () {
    expect(() => evaluate('cidr("fe80::/10").containsIP("fe80::1%eth0")')).to.throw(/zone/);
    expect(() => evaluate('cidr("::/0").containsIP("::ffff:1.2.3.4")')).to.throw(/IPv4-mapped/);
  });

  it('compiles every rule of the CRDs', function () {
    const rules: string[] = [];
    const collect = (node: unknown): void => {
      if (typeof node !== 'object' || node === null) return;
      for (const [key, value] of Object.entries(node)) {
        if (key === 'x-kubernetes-validations') rules.push(...(value as { rule: string }[]).map(({ rule }) => rule));
        else collect(value);
      }
    };
    for (const crd of customResourceDefinitions()) collect(crd.spec.versions[0]!.schema.openAPIV3Schema);
    expect(rules.length).to.be.greaterThan(10);
    for (const rule of rules) expect(() => compileRule(rule), rule).not.to.throw();
  });
});
