import { expect } from 'chai';
import { operatorConfig } from '../../src/runtime/operator.ts';

describe('operatorConfig: the metrics server', function () {
  it('serves /metrics over HTTPS on :8443 by default, the probes on :8081', function () {
    const config = operatorConfig([], {});
    expect(config).to.deep.include({ metricsSecure: true, metricsAddress: '0.0.0.0:8443', healthAddress: '0.0.0.0:8081' });
    expect(config.metricsCertPath).to.equal(undefined);
  });

  it('serves plain HTTP on :8080 with --metrics-secure=false or PALISADE_METRICS_SECURE=false', function () {
    expect(operatorConfig(['--metrics-secure=false'], {})).to.deep.include({ metricsSecure: false, metricsAddress: '0.0.0.0:8080' });
    expect(operatorConfig([], { PALISADE_METRICS_SECURE: 'false' })).to.deep.include({ metricsSecure: false, metricsAddress: '0.0.0.0:8080' });
    expect(operatorConfig(['--metrics-secure=true'], { PALISADE_METRICS_SECURE: 'false' }).metricsSecure).to.equal(true);
  });

  it('takes the address and certificate directory from flags or the environment', function () {
    expect(operatorConfig(['--metrics-address=127.0.0.1:9443', '--metrics-cert-path=/certs'], {}))
      .to.deep.include({ metricsAddress: '127.0.0.1:9443', metricsCertPath: '/certs' });
    expect(operatorConfig([], { PALISADE_METRICS_ADDRESS: ':9000', PALISADE_METRICS_CERT_PATH: '/tls' }))
      .to.deep.include({ metricsAddress: ':9000', metricsCertPath: '/tls' });
  });

  it('keeps one plain server for equal addresses, and refuses them when secure: the probes stay unauthenticated', function () {
    expect(operatorConfig(['--metrics-secure=false', '--metrics-address=:9000', '--health-address=:9000'], {}).metricsAddress).to.equal(':9000');
    expect(() => operatorConfig(['--metrics-address=:9000', '--health-address=:9000'], {}))
      .to.throw('--metrics-address :9000 and --health-address :9000 are both port 9000: with --metrics-secure=true /metrics needs its own port');
  });

  it('compares the ports, not the addresses, when secure: one port on two hosts would not bind', function () {
    expect(() => operatorConfig(['--metrics-address=0.0.0.0:8081', '--health-address=127.0.0.1:8081'], {}))
      .to.throw('--metrics-address 0.0.0.0:8081 and --health-address 127.0.0.1:8081 are both port 8081');
    expect(() => operatorConfig(['--metrics-address=[::]:8081'], {})).to.throw('are both port 8081');
    expect(operatorConfig(['--metrics-address=127.0.0.1:8081', '--health-address=127.0.0.1:8082'], {}).metricsAddress).to.equal('127.0.0.1:8081');
    // Port 0 picks a free port for each: no clash.
    expect(operatorConfig(['--metrics-address=127.0.0.1:0', '--health-address=127.0.0.1:0'], {}).metricsAddress).to.equal('127.0.0.1:0');
  });

  it('refuses an address that is not host:port, naming the flag', function () {
    expect(() => operatorConfig(['--metrics-address=localhost'], {})).to.throw('--metrics-address: not a host:port address: localhost');
    expect(() => operatorConfig(['--metrics-secure=false', '--health-address=:99999'], {})).to.throw('--health-address: not a host:port address: :99999');
  });

  it('refuses a bad --metrics-secure, and a certificate for plain HTTP', function () {
    expect(() => operatorConfig(['--metrics-secure=yes'], {})).to.throw('--metrics-secure must be true or false, not "yes"');
    expect(() => operatorConfig(['--metrics-secure=false', '--metrics-cert-path=/certs'], {})).to.throw('--metrics-cert-path needs --metrics-secure=true');
  });
});
